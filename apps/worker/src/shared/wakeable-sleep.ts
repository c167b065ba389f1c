/** A pause of a polling loop that `wake()` ends early (new work arrived, or the loop is stopping). */
export class WakeableSleep {
  private wakeUp?: () => void;

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Ends the current sleep, if any (a wake with nobody asleep is lost: loops check their own flags). */
  wake(): void {
    this.wakeUp?.();
  }
}
