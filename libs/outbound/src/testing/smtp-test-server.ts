import { AddressInfo } from 'node:net';
import { simpleParser, ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  envelopeTo: string[];
  parsed: ParsedMail;
  user?: string;
}

/**
 * A real SMTP server in the test process (smtp-server), plain text on 127.0.0.1, accepting any login.
 * `rejectNext(n, code)` makes the next n messages fail with that reply code (451: try again later).
 */
export class SmtpTestServer {
  readonly received: ReceivedMail[] = [];
  private rejections: number[] = [];
  private server!: SMTPServer;
  port = 0;

  async start(): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onAuth: (auth, _session, callback) => callback(null, { user: auth.username }),
      onData: (stream, session, callback) => {
        const code = this.rejections.shift();
        simpleParser(stream).then(
          (parsed) => {
            if (code !== undefined) {
              const error = Object.assign(new Error(code >= 500 ? 'rejected' : 'try again later'), { responseCode: code });
              return callback(error);
            }
            this.received.push({
              envelopeTo: session.envelope.rcptTo.map((r) => r.address),
              parsed,
              user: typeof session.user === 'string' ? session.user : undefined,
            });
            callback();
          },
          (error) => callback(error as Error),
        );
      },
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  url(user = 'mailer', pass = 'secret'): string {
    return `smtp://${user}:${pass}@127.0.0.1:${this.port}`;
  }

  rejectNext(times: number, code = 451): void {
    for (let i = 0; i < times; i++) this.rejections.push(code);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
