// llama.cpp (node-llama-cpp 3.21.1, its prebuilt CPU binary) as the engine's independent peer.
// Reads one JSON object {"jobs": [...]} on stdin, runs each job, prints {"results": [...]}.
// Jobs (every one names a GGUF "model"):
//   {"op": "tokenize", "texts": [...], "special": bool}   -> {"tokens": [[ids], ...]}
//   {"op": "greedy", "prompt": [ids], "n": 64}             -> {"tokens": [ids]} (no stop on EOG)
//   {"op": "teacher", "tokens": [ids]}                      -> {"argmax": [ids]} (next-token argmax
//                                                              after each prefix, teacher-forced)
//   {"op": "bench", "pp": 512, "tg": 128, "reps": 3, "vocab": n} -> {"pp": [tok/s...], "tg": [tok/s...],
//                                                              "pp_cpu", "tg_cpu": [tokens per CPU-second
//                                                              of the whole process...], "rss"}
//   {"op": "info"}                                          -> {"bos", "eos", "eot"}
//   {"op": "chat", "conversations": [[{role, content}...]]}  -> {"texts": [...], "tokens": [[ids]...]}:
//                                                              the GGUF's tokenizer.chat_template run by
//                                                              @huggingface/jinja (add_generation_prompt,
//                                                              bos_token/eos_token from the vocabulary), then
//                                                              llama.cpp's tokenizer with special parsing,
//                                                              as llama-server reads a chat; optional
//                                                              "template" (Jinja text run instead of the
//                                                              GGUF's), "tools" (JSON text of the tools
//                                                              array, so its key order is kept) and
//                                                              "conversations" as JSON text (the same)
// Optional per job: "threads" (default 1). Nothing is downloaded or built: getLlama uses the
// prebuilt binary only.
import {getLlama, LlamaLogLevel} from "node-llama-cpp";
import {Template} from "@huggingface/jinja";

const input = JSON.parse(await new Promise((resolve) => {
  let s = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (d) => { s += d; });
  process.stdin.on("end", () => resolve(s));
}));

const llama = await getLlama({
  gpu: false, build: "never", usePrebuiltBinaries: true, progressLogs: false, skipDownload: true,
  logLevel: LlamaLogLevel.error, vramPadding: 0,
});

const models = new Map();
async function model(path) {
  if (!models.has(path)) models.set(path, await llama.loadModel({modelPath: path, gpuLayers: 0}));
  return models.get(path);
}

async function withSequence(m, threads, contextSize, fn) {
  const ctx = await m.createContext({contextSize, batchSize: 512, threads, sequences: 1});
  try {
    return await fn(ctx.getSequence());
  } finally {
    await ctx.dispose();
  }
}

const now = () => Number(process.hrtime.bigint()) / 1e9;

const results = [];
for (const job of input.jobs) {
  const m = await model(job.model);
  const threads = job.threads ?? 1;
  if (job.op === "tokenize") {
    results.push({tokens: job.texts.map((t) => Array.from(m.tokenize(t, job.special ?? false)))});
  } else if (job.op === "info") {
    results.push({bos: m.tokens.bos, eos: m.tokens.eos, eot: m.tokens.eot});
  } else if (job.op === "chat") {
    const template = new Template(job.template ?? m.fileInfo.metadata.tokenizer.chat_template);
    const tools = job.tools === undefined ? {} : {tools: JSON.parse(job.tools)};
    const conversations = typeof job.conversations === "string" ? JSON.parse(job.conversations) : job.conversations;
    const texts = conversations.map((messages) => template.render({
      messages, add_generation_prompt: true, bos_token: m.tokens.bosString ?? "", eos_token: m.tokens.eosString ?? "",
      ...tools,
    }));
    results.push({texts, tokens: texts.map((t) => Array.from(m.tokenize(t, true)))});
  } else if (job.op === "greedy") {
    const out = await withSequence(m, threads, job.prompt.length + job.n + 8, async (seq) => {
      const tokens = [];
      for await (const t of seq.evaluate(job.prompt, {temperature: 0})) {
        tokens.push(t);
        if (tokens.length >= job.n) break;
      }
      return tokens;
    });
    results.push({tokens: out});
  } else if (job.op === "teacher") {
    const out = await withSequence(m, threads, job.tokens.length + 8, async (seq) => {
      const items = job.tokens.map((t) => [t, {generateNext: {token: true, options: {temperature: 0}}}]);
      const res = await seq.controlledEvaluate(items);
      return res.map((r) => (r?.next?.token ?? -1));
    });
    results.push({argmax: out});
  } else if (job.op === "bench") {
    const pp = job.pp ?? 512, tg = job.tg ?? 128, reps = job.reps ?? 3;
    const span = Math.min(1000, (job.vocab ?? 1010) - 10);
    const prompt = Array.from({length: pp}, (_, i) => (i * 7919 + 13) % span + 10);
    const ppRates = [], tgRates = [], ppCpu = [], tgCpu = [];
    const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
    await withSequence(m, threads, pp + tg + 16, async (seq) => {
      for (let r = 0; r < reps + 1; ++r) {  // round 0 warms up on a short prompt
        const n = r === 0 ? Math.min(pp, 32) : pp, g = r === 0 ? Math.min(tg, 4) : tg;
        await seq.clearHistory();
        let t0 = now(), c0 = cpu();
        await seq.evaluateWithoutGeneratingNewTokens(prompt.slice(0, n));
        const ppTime = now() - t0, ppCpuTime = cpu() - c0;
        await seq.clearHistory();
        await seq.evaluateWithoutGeneratingNewTokens([prompt[0]]);
        t0 = now();
        c0 = cpu();
        let k = 0;
        for await (const t of seq.evaluate([prompt[1]], {temperature: 0})) {
          if (++k >= g) break;
        }
        const tgTime = now() - t0, tgCpuTime = cpu() - c0;
        if (r > 0) {
          ppRates.push(pp / ppTime);
          tgRates.push(tg / tgTime);
          ppCpu.push(pp / ppCpuTime);
          tgCpu.push(tg / tgCpuTime);
        }
      }
    });
    results.push({pp: ppRates, tg: tgRates, pp_cpu: ppCpu, tg_cpu: tgCpu, rss: process.memoryUsage().rss});
  } else {
    throw new Error(`unknown op ${job.op}`);
  }
}
process.stdout.write(JSON.stringify({results}) + "\n");
await llama.dispose();
process.exit(0);
