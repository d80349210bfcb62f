// The official `openai` npm SDK (v6) as an independent client of `lt engine serve`.
// Usage: node engine_openai.mjs BASE_URL   (e.g. http://127.0.0.1:8080/v1)
// Prints one JSON line: {models, plain: {content, finish_reason, usage}, stream: {content, chunks,
// finish_reason}, error: {status, type}, tools: {plain, stream, history}}.
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

// Tools: the answer whole and streamed (tool-call deltas merged as the SDK's users do), and an
// agent's history (an assistant turn with tool_calls, content null, and the tool's result).
const tools = [{ type: 'function', function: { name: 'get_weather', description: 'The weather in a city',
                 parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
const tPlain = await client.chat.completions.create({ model: models[0], messages, tools, temperature: 0, max_tokens: 30 });
const tStream = await client.chat.completions.create({ model: models[0], messages, tools, temperature: 0, max_tokens: 30,
                                                       stream: true, stream_options: { include_usage: true } });
const streamed = { content: '', toolCalls: [], finish_reason: null, usage: null };
for await (const chunk of tStream) {
  if (chunk.usage) streamed.usage = chunk.usage;
  const c = chunk.choices[0];
  if (!c) continue;
  if (c.delta?.content) streamed.content += c.delta.content;
  for (const d of c.delta?.tool_calls ?? []) {
    const cur = streamed.toolCalls[d.index] ??= { id: '', type: '', function: { name: '', arguments: '' } };
    if (d.id) cur.id = d.id;
    if (d.type) cur.type = d.type;
    if (d.function?.name) cur.function.name += d.function.name;
    if (d.function?.arguments) cur.function.arguments += d.function.arguments;
  }
  if (c.finish_reason) streamed.finish_reason = c.finish_reason;
}
const history = await client.chat.completions.create({
  model: models[0], tools, temperature: 0, max_tokens: 5,
  messages: [...messages,
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function',
      function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
    { role: 'tool', tool_call_id: 'call_1', content: 'sunny' }],
});

console.log(JSON.stringify({
  models,
  plain: { content: plain.choices[0].message.content, finish_reason: plain.choices[0].finish_reason, usage: plain.usage },
  stream: { content, chunks, finish_reason: finish },
  error,
  tools: {
    plain: { message: tPlain.choices[0].message, finish_reason: tPlain.choices[0].finish_reason, usage: tPlain.usage },
    stream: streamed,
    history: { finish_reason: history.choices[0].finish_reason, usage: history.usage },
  },
}));
