// Read a secret for the CLI: from an interactive terminal (no echo), or the first
// line of stdin when it is a pipe. Never from argv.

function readTty(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode?.(true);
    stdin.resume();
    let buf = "";
    const done = (err?: Error) => {
      stdin.setRawMode?.(false);
      stdin.pause();
      stdin.off("data", onData);
      process.stderr.write("\n");
      if (err) reject(err);
      else resolve(buf);
    };
    const onData = (d: Uint8Array) => {
      for (const ch of Buffer.from(d).toString("utf8")) {
        if (ch === "\r" || ch === "\n") return done();
        if (ch === "\u0003") return done(new Error("interrupted"));
        if (ch === "\u007f" || ch === "\b") buf = buf.slice(0, -1);
        else buf += ch;
      }
    };
    stdin.on("data", onData);
  });
}

async function readFirstLine(): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const chunk of process.stdin) {
    parts.push(chunk as Uint8Array);
    if ((chunk as Uint8Array).includes(0x0a)) break;
  }
  const text = Buffer.concat(parts).toString("utf8");
  const nl = text.indexOf("\n");
  return (nl < 0 ? text : text.slice(0, nl)).replace(/\r$/, "");
}

/** a new password: typed twice on a terminal, else the first line of stdin */
export async function readNewPassword(): Promise<string> {
  if (!process.stdin.isTTY) return readFirstLine();
  const a = await readTty("New password: ");
  const b = await readTty("Repeat password: ");
  if (a !== b) throw new Error("the passwords do not match");
  return a;
}
