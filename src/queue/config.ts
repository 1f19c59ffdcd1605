// Config schema piece for the scheduler: `queue` (zod v4). src/config/schema.ts places it.

import { z } from "zod";

const SECONDS_MSG = "expected a positive number of seconds";
const seconds = (def: number) => z.number({ error: SECONDS_MSG }).positive({ error: SECONDS_MSG }).finite({ error: SECONDS_MSG }).default(def);
const OFF_MSG = "expected a number of seconds (0 = off)";
const secondsOrOff = (def: number) => z.number({ error: OFF_MSG }).min(0, { error: OFF_MSG }).finite({ error: OFF_MSG }).default(def);
const INT_MSG = "expected a positive integer";

/** `queue`: retry backoff, maximum age, delay DSNs, delivery concurrency. */
export const queueConfigSchema = z
  .strictObject(
    {
      retry: z
        .strictObject(
          {
            /** first retry after this many seconds; doubles per attempt */
            first: seconds(300),
            /** never wait longer than this between attempts */
            max: seconds(3600),
          },
          { error: "expected an object { first, max }" },
        )
        .prefault({}),
      /** give up (expire, bounce) this many seconds after the message was spooled: 5 days */
      maxAge: seconds(432000),
      /** NOTIFY=DELAY: send a delay DSN once a recipient has waited this long (0 = never) */
      delayWarning: secondsOrOff(14400),
      /** messages being delivered at the same time, at most */
      concurrency: z.int({ error: INT_MSG }).min(1, { error: INT_MSG }).default(100),
    },
    { error: "expected an object" },
  )
  .superRefine((q, ctx) => {
    if (q.retry.max < q.retry.first) {
      ctx.addIssue({ code: "custom", path: ["retry", "max"], message: `expected at least queue.retry.first (${q.retry.first})` });
    }
  })
  .prefault({});

export type QueueConfig = z.output<typeof queueConfigSchema>;
