// The official `openai` npm SDK (v6) as an independent client of `lt engine serve`.
// Usage: node engine_openai.mjs BASE_URL   (e.g. http://127.0.0.1:8080/v1)
// Prints one JSON line: {models, plain: {content, finish_reason, usage}, stream: {content, chunks,
// finish_reason}, error: {status, type}}.
import OpenAI from 'openai';

const client = new OpenAI({ baseURL: process.argv[2], apiKey: 'x', maxRetries: 0, timeout: 60000 });

const models = [];
for await (const m of client.models.list()) models.push(m.id);

const messages = [{ role: 'user', content: 'Once upon a time' }];
const plain = await client.chat.completions.create({
  model: models[0], messages, temperature: 0, max_tokens: 30,
});

const stream = await client.chat.completions.create({
  model: models[0], messages, temperature: 0, max_tokens: 30, stream: true,
});
let content = '';
let chunks = 0;
let finish = null;
for await (const chunk of stream) {
  chunks++;
  const c = chunk.choices[0];
  if (c?.delta?.content) content += c.delta.content;
  if (c?.finish_reason) finish = c.finish_reason;
}

let error = null;
try {
  await client.chat.completions.create({ model: models[0], messages, temperature: 5 });
} catch (e) {
  error = { status: e.status, type: e.error?.type ?? e.type ?? null };
}

console.log(JSON.stringify({
  models,
  plain: { content: plain.choices[0].message.content, finish_reason: plain.choices[0].finish_reason, usage: plain.usage },
  stream: { content, chunks, finish_reason: finish },
  error,
}));
