// Issue 18's API semantics, asserted through the official `openai` npm SDK (v6), unchanged,
// against `lt client serve` in front of a real network (api_semantics_test.cc).
// Usage: node api_semantics.mjs BASE_URL MODEL TOOL_MODEL FIXTURE_URL CONTROL_DIR MANIFEST
// Prints one JSON line with what each request answered; the C++ test asserts on it. Midway it
// writes CONTROL_DIR/freeze and waits for CONTROL_DIR/frozen (the test freezes the provider that
// holds the open session), then asks again (the request fails over).
import OpenAI from 'openai';
import fs from 'node:fs';
import { isDeepStrictEqual } from 'node:util';

const [baseURL, model, toolModel, fixtureURL, controlDir, manifest] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: 'unused', maxRetries: 0, timeout: 120000 });
const out = {};

async function errorOf(promise) {
  try {
    await promise;
    return { status: 200 };
  } catch (e) {
    return { status: e.status ?? null, type: e.type ?? e.error?.type ?? null, code: e.code ?? e.error?.code ?? null,
             param: e.param ?? e.error?.param ?? null, message: e.message, hasParamKey: e.error ? 'param' in e.error : false };
  }
}

// The providers register their offers as they start: wait for both models.
let models = [];
for (let i = 0; i < 300 && !(models.includes(model) && models.includes(toolModel)); i++) {
  models = [];
  for await (const m of client.models.list()) models.push(m.id);
  if (!(models.includes(model) && models.includes(toolModel))) await new Promise((r) => setTimeout(r, 200));
}
out.models = models;

const messages = [{ role: 'user', content: 'Once upon a time' }];

// Exact completion tokens: max_tokens and max_completion_tokens, plain and streamed.
out.counts = [];
for (const n of [1, 7, 9, 23]) {
  for (const field of ['max_tokens', 'max_completion_tokens']) {
    const plain = await client.chat.completions.create({ model, messages, temperature: 0, [field]: n });
    out.counts.push({ n, field, stream: false, completion_tokens: plain.usage.completion_tokens,
                      finish_reason: plain.choices[0].finish_reason });
    const stream = await client.chat.completions.create({ model, messages, temperature: 0, [field]: n, stream: true,
                                                          stream_options: { include_usage: true } });
    let usage = null;
    let chunks = 0;
    for await (const c of stream) {
      if (c.usage) usage = c.usage;
      if (c.choices[0]?.delta?.content) chunks++;
    }
    out.counts.push({ n, field, stream: true, completion_tokens: usage?.completion_tokens ?? null, chunks });
  }
}

// stop cuts the output (the stop string itself is never sent).
const free = await client.chat.completions.create({ model, messages, temperature: 0, max_tokens: 40 });
const cut = await client.chat.completions.create({ model, messages, temperature: 0, max_tokens: 40, stop: [' was', 'Lily'] });
out.stop = { free: free.choices[0].message.content, cut: cut.choices[0].message.content,
             finish_reason: cut.choices[0].finish_reason };

// Content as an array of text parts means the same as the string.
const parts = await client.chat.completions.create({
  model, temperature: 0, max_tokens: 8,
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Once upon ' }, { type: 'text', text: 'a time' }] }] });
const whole = await client.chat.completions.create({ model, messages, temperature: 0, max_tokens: 8 });
out.parts = { parts: parts.choices[0].message.content, whole: whole.choices[0].message.content,
              prompt_tokens: [parts.usage.prompt_tokens, whole.usage.prompt_tokens] };

// A conversation: every turn reaches the model (the stories default template tells the story so
// far, system text left out), not only the last user message.
const turns = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Once upon a time' },
               { role: 'assistant', content: 'there was a dog.' }, { role: 'user', content: 'The dog ran home.' }];
const multi = await client.chat.completions.create({ model, messages: turns, temperature: 0, max_tokens: 4 });
const story = await client.chat.completions.create({
  model, temperature: 0, max_tokens: 4,
  messages: [{ role: 'user', content: 'Once upon a time there was a dog. The dog ran home.' }] });
const last = await client.chat.completions.create({ model, messages: [turns[3]], temperature: 0, max_tokens: 4 });
out.multi = { prompt_tokens: [multi.usage.prompt_tokens, story.usage.prompt_tokens, last.usage.prompt_tokens],
              text: [multi.choices[0].message.content, story.choices[0].message.content] };

// Bad fields: 400 in OpenAI's shape, naming the parameter.
out.bad = [];
for (const extra of [{ max_tokens: '10' }, { max_tokens: -1 }, { max_tokens: 0 }, { max_tokens: 1.5 },
                     { temperature: 'hot' }, { n: 5 }]) {
  out.bad.push({ extra, ...(await errorOf(client.chat.completions.create({ model, messages, ...extra }))) });
}
out.unknownModel = await errorOf(client.chat.completions.create({ model: 'nobody/nothing:1', messages, max_tokens: 5 }));
// The model named by its manifest digest (0x + 64 hex): a name, not a private key.
out.digestModel = await errorOf(client.chat.completions.create({ model: manifest, messages, max_tokens: 5 }));

// Routes and methods the API does not have, and a body too large: OpenAI's error shape.
async function raw(method, path, body) {
  const r = await fetch(baseURL + path, { method, headers: { 'content-type': 'application/json' }, body });
  let j = null;
  try { j = await r.json(); } catch { j = null; }
  return { status: r.status, error: j?.error ?? null, allow: r.headers.get('allow') };
}
out.routes = {
  unknown: await raw('GET', '/nothing'),
  method: await raw('GET', '/chat/completions'),
  deleteMethod: await raw('DELETE', '/completions'),
  tooLarge: await raw('POST', '/chat/completions', JSON.stringify({ model, messages: [{ role: 'user', content: 'x'.repeat(3 << 20) }] })),
};

// The legacy /v1/completions.
const comp = await client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 5, temperature: 0 });
const compStream = await client.completions.create({ model, prompt: ['Once upon a time'], max_tokens: 6, temperature: 0,
                                                    stream: true, stream_options: { include_usage: true } });
let compText = '';
let compUsage = null;
for await (const c of compStream) {
  if (c.choices?.[0]?.text) compText += c.choices[0].text;
  if (c.usage) compUsage = c.usage;
}
const echo = await client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 3, temperature: 0, echo: true });
const compDefault = await client.completions.create({ model, prompt: 'Once upon a time', temperature: 0 });
out.completions = {
  object: comp.object, text: comp.choices[0].text, usage: comp.usage, finish_reason: comp.choices[0].finish_reason,
  streamText: compText, streamUsage: compUsage, echo: echo.choices[0].text,
  defaultTokens: compDefault.usage.completion_tokens,
  n: await errorOf(client.completions.create({ model, prompt: 'x', n: 2 })),
};

// Tool calls through a provider with backend = "openai" (its upstream is tools_upstream.mjs).
const tools = [{ type: 'function', function: { name: 'get_weather', description: 'The weather in a city',
                 parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
const response_format = { type: 'json_object' };
const tc = await client.chat.completions.create({ model: toolModel, messages: [{ role: 'user', content: 'Weather in Paris?' }],
                                                   tools, tool_choice: 'auto', response_format });
const upstreamSaw = await (await fetch(fixtureURL + '/last')).json();
const tcs = await client.chat.completions.create({ model: toolModel, messages: [{ role: 'user', content: 'Weather?' }],
                                                    tools, stream: true, stream_options: { include_usage: true } });
const streamed = [];
let tcsFinish = null;
let tcsUsage = null;
for await (const c of tcs) {
  for (const d of c.choices?.[0]?.delta?.tool_calls ?? []) {
    const cur = streamed[d.index] ?? (streamed[d.index] = { id: '', type: '', function: { name: '', arguments: '' } });
    if (d.id) cur.id = d.id;
    if (d.type) cur.type = d.type;
    if (d.function?.name) cur.function.name += d.function.name;
    if (d.function?.arguments) cur.function.arguments += d.function.arguments;
  }
  if (c.choices?.[0]?.finish_reason) tcsFinish = c.choices[0].finish_reason;
  if (c.usage) tcsUsage = c.usage;
}
out.tools = {
  message: tc.choices[0].message, finish_reason: tc.choices[0].finish_reason, usage: tc.usage,
  // Equal as JSON values (object keys may come in another order).
  toolsUnchanged: isDeepStrictEqual(upstreamSaw.tools, tools),
  responseFormatUnchanged: isDeepStrictEqual(upstreamSaw.response_format, response_format),
  toolChoice: upstreamSaw.tool_choice,
  streamed, streamFinish: tcsFinish, streamUsage: tcsUsage,
  // The builtin engine: tools reach the prompt (more prompt tokens), the answer is well-formed; a
  // tool_choice that forces a call is a 400 naming it.
  builtin: await errorOf(client.chat.completions.create({ model, messages, tools, tool_choice: 'required', max_tokens: 5 })),
  builtinTools: await (async () => {
    const r = await client.chat.completions.create({ model, messages, tools, max_tokens: 5, temperature: 0 });
    const p = await client.chat.completions.create({ model, messages, max_tokens: 5, temperature: 0 });
    return { message: r.choices[0].message, finish: r.choices[0].finish_reason, usage: r.usage, plainUsage: p.usage };
  })(),
};

// Failover: the provider holding the session is frozen; the request goes to another one.
fs.writeFileSync(`${controlDir}/freeze`, 'now');
for (let i = 0; i < 600 && !fs.existsSync(`${controlDir}/frozen`); i++) await new Promise((r) => setTimeout(r, 100));
const foStart = Date.now();
const { data: fo, response } = await client.chat.completions.create({ model, messages, temperature: 0, max_tokens: 9 }).withResponse();
const foStream = await client.chat.completions.create({ model, messages, temperature: 0, max_tokens: 11, stream: true,
                                                       stream_options: { include_usage: true } });
let foUsage = null;
for await (const c of foStream) if (c.usage) foUsage = c.usage;
out.failover = { completion_tokens: fo.usage.completion_tokens, failovers: Number(response.headers.get('x-lt-failovers')),
                 provider: response.headers.get('x-lt-provider'), streamUsage: foUsage, ms: Date.now() - foStart };

console.log(JSON.stringify(out));
