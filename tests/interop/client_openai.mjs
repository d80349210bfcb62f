// The official `openai` npm SDK (v6), unchanged, against `lt client serve` (the local API in
// front of the whole network). Usage: node client_openai.mjs BASE_URL MODEL
// Prints one JSON line: {models, plain: {content, finish_reason, usage}, stream: {content,
// chunks, finish_reason}, unknown: {status, code}, secrets: [{kind, status, code, param, echoed}]}.
import OpenAI from 'openai';
import { Wallet, encryptKeystoreJsonSync } from 'ethers';

const [baseURL, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: 'unused', maxRetries: 0, timeout: 60000 });

// The providers register their offers on the ledger as they start: wait for the model.
let models = [];
for (let i = 0; i < 150 && !models.includes(model); i++) {
  models = [];
  for await (const m of client.models.list()) models.push(m.id);
  if (!models.includes(model)) await new Promise((r) => setTimeout(r, 200));
}

const messages = [{ role: 'user', content: 'Once upon a time' }];
const plain = await client.chat.completions.create({ model, messages, temperature: 0, max_tokens: 30 });

const stream = await client.chat.completions.create({ model, messages, temperature: 0, max_tokens: 30, stream: true });
let content = '';
let chunks = 0;
let finish = null;
for await (const chunk of stream) {
  chunks++;
  const c = chunk.choices[0];
  if (c?.delta?.content) content += c.delta.content;
  if (c?.finish_reason) finish = c.finish_reason;
}

async function refusal(text) {
  try {
    await client.chat.completions.create({ model, messages: [{ role: 'user', content: text }], max_tokens: 5 });
    return { status: 200 };
  } catch (e) {
    return { status: e.status, code: e.code ?? e.error?.code ?? null, param: e.param ?? e.error?.param ?? null,
             message: e.message };
  }
}

let unknown;
try {
  await client.chat.completions.create({ model: 'nobody/nothing:1', messages, max_tokens: 5 });
  unknown = { status: 200 };
} catch (e) {
  unknown = { status: e.status, code: e.code ?? null };
}

const wallet = Wallet.createRandom();
const secretTexts = {
  'BIP-39 mnemonic': `my recovery phrase is ${wallet.mnemonic.phrase}, keep it safe`,
  'private key': `import this key: ${wallet.privateKey}`,
  'keystore': encryptKeystoreJsonSync(wallet, 'pw', { scrypt: { N: 16 } }),
  'password field': 'connect with {"user": "bob", "password": "s3cret-pass"}',
};
const secrets = [];
for (const [kind, text] of Object.entries(secretTexts)) {
  const r = await refusal(text);
  const echoed = r.message ? r.message.includes(wallet.privateKey.slice(2)) ||
    r.message.includes(wallet.mnemonic.phrase.split(' ').slice(0, 3).join(' ')) || r.message.includes('s3cret') : false;
  secrets.push({ kind, status: r.status, code: r.code, param: r.param, named: (r.message ?? '').includes(kind), echoed });
}

console.log(JSON.stringify({
  models,
  plain: { content: plain.choices[0].message.content, finish_reason: plain.choices[0].finish_reason, usage: plain.usage },
  stream: { content, chunks, finish_reason: finish },
  unknown,
  secrets,
}));
