# Tern on Bun: `tern serve` with its data (spool, mailboxes, directory, generated
# certificate) in the /data volume.
#
#   docker build -t tern .
#   docker run -d --name tern -v tern-data:/data \
#     -p 25:25 -p 587:587 -p 465:465 \
#     -e TERN_HOSTNAME=mx.example.org -e TERN_DOMAINS=example.org \
#     tern
#   docker exec tern tern queue ls
#   docker stop tern      # SIGTERM: graceful, up to timeouts.shutdown (30 s) — use -t 40
#
# Any config key can be set with TERN_<SECTION>__<KEY>; or mount a config file and
# set TERN_CONFIG=/etc/tern/tern.config.json.

ARG BUN_VERSION=1.4

# ---- dependencies (production only: no bun/deno/typescript devDependencies)
FROM oven/bun:${BUN_VERSION}-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN bun install --production --ignore-scripts --no-save \
 && rm -rf /root/.bun/install/cache

# ---- runtime image
FROM oven/bun:${BUN_VERSION}-slim
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json deno.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
RUN ln -s /app/bin/tern /usr/local/bin/tern \
 && mkdir -p /data && chown bun:bun /data

# Listen on every interface inside the container, standard ports. Docker (20.10+)
# lets unprivileged users bind ports below 1024 inside a container
# (net.ipv4.ip_unprivileged_port_start=0); on older engines add
# --sysctl net.ipv4.ip_unprivileged_port_start=0 or run with --user root.
ENV TERN_DATA_DIR=/data \
    TERN_LISTEN__SMTP=0.0.0.0:25 \
    TERN_LISTEN__SUBMISSION=0.0.0.0:587 \
    TERN_LISTEN__SUBMISSIONS=0.0.0.0:465 \
    NODE_ENV=production

USER bun
VOLUME ["/data"]
EXPOSE 25 587 465

# healthy when the SMTP listener answers with a 220 greeting
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["bun", "-e", "const [h,p]=(process.env.TERN_LISTEN__SMTP||'127.0.0.1:25').split(':');const host=h==='0.0.0.0'?'127.0.0.1':h;setTimeout(()=>process.exit(1),4000);await Bun.connect({hostname:host,port:+p,socket:{data(s,d){process.exit(new TextDecoder().decode(d).startsWith('220')?0:1)},error(){process.exit(1)},close(){process.exit(1)}}})"]

# bun as PID 1 receives SIGTERM directly; tern handles it (graceful shutdown, exit 0)
STOPSIGNAL SIGTERM
ENTRYPOINT ["bun", "/app/src/main.ts"]
CMD ["serve"]
