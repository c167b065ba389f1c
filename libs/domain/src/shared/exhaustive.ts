/** The end of a switch the compiler knows to be exhaustive; throws should a value it did not know arrive anyway. */
export function exhaustive(value: never): never {
  throw new Error(`unhandled: ${JSON.stringify(value)}`);
}
