// Drives headless Chromium over the DevTools protocol on a pipe (--remote-debugging-pipe: fd 3
// to the browser, fd 4 from it; no npm package needed): opens URL, waits until SELECTOR exists,
// clicks it, waits until the element WAIT_SELECTOR exists and its text contains WAIT_TEXT (scoped,
// so text already on the page elsewhere cannot end the wait early), and prints the page's text.
// Usage: node click_page.mjs CHROMIUM URL SELECTOR WAIT_SELECTOR WAIT_TEXT PROFILE_DIR
import { spawn } from 'node:child_process';

const [chromium, url, selector, waitSelector, waitText, profile] = process.argv.slice(2);
const browser = spawn(chromium, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  `--user-data-dir=${profile}`, '--remote-debugging-pipe', 'about:blank'],
  { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
const toBrowser = browser.stdio[3], fromBrowser = browser.stdio[4];
let nextId = 1, buffer = '';
const waiting = new Map();
fromBrowser.on('data', (chunk) => {
  buffer += chunk.toString();
  let nul;
  while ((nul = buffer.indexOf('\0')) >= 0) {
    const msg = JSON.parse(buffer.slice(0, nul));
    buffer = buffer.slice(nul + 1);
    if (msg.id && waiting.has(msg.id)) { waiting.get(msg.id)(msg); waiting.delete(msg.id); }
  }
});
function send(method, params = {}, sessionId) {
  const id = nextId++;
  toBrowser.write(JSON.stringify({ id, method, params, sessionId }) + '\0');
  return new Promise((resolve, reject) => waiting.set(id, (m) => m.error ? reject(new Error(JSON.stringify(m.error))) : resolve(m.result)));
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function evaluate(session, expression) {
  const r = await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, session);
  return r.result.value;
}
async function until(session, expression, what) {
  for (let i = 0; i < 300; i++) {
    if (await evaluate(session, expression)) return;
    await sleep(100);
  }
  throw new Error('timed out waiting for ' + what + '; page: ' + await evaluate(session, 'document.body.innerText'));
}
try {
  const { targetId } = await send('Target.createTarget', { url });
  const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
  const sel = JSON.stringify(selector);
  await until(sessionId, `!!document.querySelector(${sel})`, selector);
  await evaluate(sessionId, `document.querySelector(${sel}).click(); true`);
  const scope = `document.querySelector(${JSON.stringify(waitSelector)})`;
  await until(sessionId, `!!${scope} && ${scope}.innerText.includes(${JSON.stringify(waitText)})`,
    `${waitText} in ${waitSelector}`);
  console.log(await evaluate(sessionId, 'document.body.innerText'));
  await send('Browser.close').catch(() => {});
  process.exit(0);
} catch (e) {
  console.error(String(e));
  browser.kill('SIGKILL');
  process.exit(1);
}
