// Outgoing HTTP for webhooks (global fetch works on Bun and Deno).

export async function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs = 10_000): Promise<number> {
  const res = await fetch(url, { method: "POST", body, headers, signal: AbortSignal.timeout(timeoutMs) });
  await res.body?.cancel();
  return res.status;
}
