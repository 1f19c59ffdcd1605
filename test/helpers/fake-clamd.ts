// A small fake clamd for tests: speaks INSTREAM on 127.0.0.1 (port 0), answers
// "stream: Eicar-Test-Signature FOUND" when the stream contains "EICAR", else "stream: OK".
import * as net from "node:net";

export interface FakeClamd {
  port: number;
  /** the bodies received, one per INSTREAM session */
  bodies: Uint8Array[];
  close(): Promise<void>;
}

export function startFakeClamd(): Promise<FakeClamd> {
  const bodies: Uint8Array[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
    sock.on("error", () => {});
    let buf: Uint8Array = new Uint8Array(0);
    const parts: Uint8Array[] = [];
    let stage: "command" | "chunks" | "done" = "command";
    sock.on("data", (d: Uint8Array) => {
      buf = Buffer.concat([buf, d]);
      if (stage === "command") {
        const nul = buf.indexOf(0);
        if (nul < 0) return;
        const cmd = Buffer.from(buf.subarray(0, nul)).toString();
        buf = buf.subarray(nul + 1);
        if (cmd !== "zINSTREAM") {
          sock.end("UNKNOWN COMMAND\0");
          stage = "done";
          return;
        }
        stage = "chunks";
      }
      while (stage === "chunks" && buf.length >= 4) {
        const len = new DataView(buf.buffer, buf.byteOffset, 4).getUint32(0, false);
        if (len === 0) {
          stage = "done";
          const body = Buffer.concat(parts);
          bodies.push(body);
          sock.end(body.includes("EICAR") ? "stream: Eicar-Test-Signature FOUND\0" : "stream: OK\0");
          return;
        }
        if (buf.length < 4 + len) return;
        parts.push(buf.slice(4, 4 + len));
        buf = buf.subarray(4 + len);
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        port,
        bodies,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}
