// autocannon ships no type declarations; this covers the part of its API the benchmark uses.
declare module "autocannon" {
  import type { EventEmitter } from "node:events";

  namespace autocannon {
    interface Client extends EventEmitter {
      setHeaders(headers: Record<string, string>): void;
    }

    interface Options {
      url: string;
      method?: string;
      headers?: Record<string, string>;
      body?: string;
      connections?: number;
      pipelining?: number;
      duration?: number;
      timeout?: number;
      /** Per-connection copies of these are sent in turn; `onResponse` sees each answer. */
      requests?: Array<{ onResponse?: (status: number, body: string) => void }>;
      setupClient?: (client: Client) => void;
    }

    interface Histogram {
      average: number;
      mean: number;
      p50: number;
      p99: number;
      max: number;
    }

    interface Result {
      requests: Histogram & { total: number };
      latency: Histogram;
      errors: number;
      timeouts: number;
      non2xx: number;
      mismatches: number;
      "2xx": number;
      duration: number;
    }
  }

  function autocannon(options: autocannon.Options): Promise<autocannon.Result>;
  export = autocannon;
}
