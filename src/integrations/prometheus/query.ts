import { z } from "zod";
import type { Endpoint } from "../http/endpoint.js";
import { requestApi } from "./request.js";

const labelSet = z.record(z.string(), z.string());
/** [unix seconds, "value"]: Prometheus sends values as strings so that NaN and ±Inf survive JSON. */
const sample = z.tuple([z.number(), z.string()]);

const queryData = z.discriminatedUnion("resultType", [
  z.object({ resultType: z.literal("vector"), result: z.array(z.object({ metric: labelSet, value: sample })) }),
  z.object({ resultType: z.literal("matrix"), result: z.array(z.object({ metric: labelSet, values: z.array(sample) })) }),
  z.object({ resultType: z.literal("scalar"), result: sample }),
  z.object({ resultType: z.literal("string"), result: sample }),
]);

export interface Sample {
  metric: Record<string, string>;
  /** Evaluation time. */
  at: Date;
  value: number;
}

export type QueryResult =
  | { type: "vector"; samples: Sample[] }
  | { type: "matrix"; series: { metric: Record<string, string>; points: { at: Date; value: number }[] }[] }
  | { type: "scalar"; at: Date; value: number }
  | { type: "string"; at: Date; value: string };

export interface QueryOptions {
  /** Evaluation time; Prometheus' "now" when left out. */
  at?: Date;
  signal?: AbortSignal;
}

const time = (seconds: number) => new Date(seconds * 1000);

/** An instant query (`/api/v1/query`), e.g. `up{job="game"} == 0`. */
export async function instantQuery(endpoint: Endpoint, expression: string, options: QueryOptions = {}): Promise<QueryResult> {
  const data = await requestApi(
    endpoint,
    {
      path: "api/v1/query",
      query: { query: expression, time: options.at ? String(options.at.getTime() / 1000) : undefined },
      ...(options.signal ? { signal: options.signal } : {}),
    },
    queryData,
  );
  switch (data.resultType) {
    case "vector":
      return { type: "vector", samples: data.result.map((s) => ({ metric: s.metric, at: time(s.value[0]), value: Number(s.value[1]) })) };
    case "matrix":
      return {
        type: "matrix",
        series: data.result.map((s) => ({ metric: s.metric, points: s.values.map(([t, v]) => ({ at: time(t), value: Number(v) })) })),
      };
    case "scalar":
      return { type: "scalar", at: time(data.result[0]), value: Number(data.result[1]) };
    case "string":
      return { type: "string", at: time(data.result[0]), value: data.result[1] };
  }
}
