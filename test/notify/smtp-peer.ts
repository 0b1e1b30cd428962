import { SMTPServer, type SMTPServerError } from "smtp-server";

export interface ReceivedMail {
  from: string;
  to: string[];
  /** Who authenticated for it. */
  user: string | undefined;
  raw: string;
}

export interface SmtpPeerOptions {
  /** username → password; without, AUTH is not offered. */
  users?: Record<string, string>;
  /** Refuse every RCPT TO with this reply, as a greylisting (451) or strict (550) server does. */
  rejectRecipient?: { code: number; message: string };
}

export interface SmtpPeer {
  /** smtp://127.0.0.1:<port>, ready for the email channel. */
  url: string;
  mails: ReceivedMail[];
  close(): Promise<void>;
}

/**
 * A real SMTP server (smtp-server, the peer project of nodemailer) on loopback. No STARTTLS:
 * its built-in certificate is self-signed, and the channel rightly refuses those; so AUTH runs
 * in plain text, which only a loopback test may allow.
 */
export async function smtpPeer(options: SmtpPeerOptions = {}): Promise<SmtpPeer> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    disabledCommands: options.users ? ["STARTTLS"] : ["STARTTLS", "AUTH"],
    allowInsecureAuth: true,
    authOptional: !options.users,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username !== undefined && options.users?.[auth.username] === auth.password) return callback(null, { user: auth.username });
      const error: SMTPServerError = new Error("Authentication failed");
      error.responseCode = 535;
      callback(error);
    },
    onRcptTo(_address, _session, callback) {
      if (!options.rejectRecipient) return callback();
      const error: SMTPServerError = new Error(options.rejectRecipient.message);
      error.responseCode = options.rejectRecipient.code;
      callback(error);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          user: session.user as string | undefined,
          raw: Buffer.concat(chunks).toString("utf8"),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as { port: number };
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface ParsedMail {
  /** Header names in lower case, folded lines joined. */
  headers: Record<string, string>;
  text: string;
  html: string;
}

/** Just enough MIME for what nodemailer sends: one multipart/alternative of text and HTML. */
export function parseMail(raw: string): ParsedMail {
  const { headers, body } = splitPart(raw);
  const boundary = /boundary="?([^";]+)"?/.exec(headers["content-type"] ?? "")?.[1];
  if (!boundary) throw new Error(`not multipart: ${headers["content-type"]}`);
  const parts = body
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((part) => splitPart(part.replace(/^\r\n/, "")));
  const partOf = (type: string) => {
    const part = parts.find((p) => p.headers["content-type"]?.startsWith(type));
    if (!part) throw new Error(`no ${type} part`);
    // Trailing line ends belong to the boundary line or end the body; neither is content.
    return decode(part.body, part.headers["content-transfer-encoding"] ?? "7bit").replace(/\n+$/, "");
  };
  return { headers, text: partOf("text/plain"), html: partOf("text/html") };
}

function splitPart(text: string): { headers: Record<string, string>; body: string } {
  const end = text.indexOf("\r\n\r\n");
  const headers: Record<string, string> = {};
  for (const line of text.slice(0, end).replace(/\r\n[ \t]+/g, " ").split("\r\n")) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body: text.slice(end + 4) };
}

function decode(body: string, encoding: string): string {
  if (encoding === "base64") return Buffer.from(body, "base64").toString("utf8");
  if (encoding !== "quoted-printable") return body.replace(/\r\n/g, "\n");
  const bytes = body.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, "latin1").toString("utf8").replace(/\r\n/g, "\n");
}
