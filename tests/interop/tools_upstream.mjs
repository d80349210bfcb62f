// A scripted OpenAI-compatible upstream for a provider with backend = "openai" (api_semantics
// test): every chat completion answers, streamed, with one tool call get_weather({"city":"Paris"})
// in three argument pieces, finish_reason "tool_calls", and (when asked with
// stream_options.include_usage) usage {prompt_tokens: 11, completion_tokens: 12}. GET /last returns
// the last request body as received, so the test can check that tools and response_format
// passed through unchanged. Prints its port on stdout. Usage: node tools_upstream.mjs
import http from 'node:http';

let last = null;
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => { body += d; });
  req.on('end', () => {
    if (req.method === 'GET' && req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'fixture', object: 'model' }] }));
      return;
    }
    if (req.method === 'GET' && req.url === '/last') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(last));
      return;
    }
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'no route', type: 'invalid_request_error', param: null, code: null } }));
      return;
    }
    last = JSON.parse(body);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const head = { id: 'chatcmpl-fixture', object: 'chat.completion.chunk', created: 1, model: 'fixture' };
    const send = (o) => res.write(`data: ${JSON.stringify({ ...head, ...o })}\n\n`);
    const choice = (delta, finish = null) => ({ choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
    send(choice({ role: 'assistant', content: null }));
    send(choice({ tool_calls: [{ index: 0, id: 'call_fixture_1', type: 'function',
                                 function: { name: 'get_weather', arguments: '' } }] }));
    for (const piece of ['{"ci', 'ty":"Par', 'is"}']) {
      send(choice({ tool_calls: [{ index: 0, function: { arguments: piece } }] }));
    }
    send(choice({}, 'tool_calls'));
    if (last.stream_options?.include_usage) {
      send({ choices: [], usage: { prompt_tokens: 11, completion_tokens: 12, total_tokens: 23 } });
    }
    res.end('data: [DONE]\n\n');
  });
});
server.listen(0, '127.0.0.1', () => { console.log(server.address().port); });
