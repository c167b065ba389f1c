// A lean GraphQL-over-HTTP client for the load generator. node:http with a keep-alive agent costs the
// machine (two cores shared with the product) noticeably less CPU per request than fetch/undici.
import http from 'node:http';

export class GraphQLClient {
  constructor({ port, apiKey, sockets }) {
    this.port = port;
    this.apiKey = apiKey;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  }

  /**
   * Resolves { data, errors, status } (errors: GraphQL or HTTP errors as { code, message }); rejects
   * only on a network failure.
   */
  request(query, variables) {
    const body = JSON.stringify({ query, variables });
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: this.port,
          path: '/graphql',
          method: 'POST',
          agent: this.agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: `Bearer ${this.apiKey}`,
          },
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json;
            try {
              json = JSON.parse(text);
            } catch {
              return resolve({ status: res.statusCode, errors: [{ code: `HTTP_${res.statusCode}`, message: text.slice(0, 200) }] });
            }
            const errors = json.errors?.map((e) => ({ code: e.extensions?.code ?? 'UNKNOWN', message: e.message }));
            if (!errors && res.statusCode !== 200) {
              return resolve({ status: res.statusCode, errors: [{ code: `HTTP_${res.statusCode}`, message: text.slice(0, 200) }] });
            }
            resolve({ status: res.statusCode, data: json.data, errors });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Like request(), but throws on any error. */
  async call(query, variables) {
    const r = await this.request(query, variables);
    if (r.errors) throw new Error(`GraphQL ${r.errors[0].code}: ${r.errors[0].message}`);
    return r.data;
  }

  close() {
    this.agent.destroy();
  }
}

// The load generator's operations: the same documents and call inputs for every bench section.
export const OPEN = `mutation Open($input: OpenServiceCallInput!) { openServiceCall(input: $input) { id version status } }`;
export const COMPLETE = `mutation Complete($input: CompleteStepInput!) { completeStep(input: $input) { id version } }`;
export const STEPS = `query Steps($id: ID!) { serviceCall(id: $id) { version phases { key steps { key status } } } }`;
const CHANNELS = ['PHONE', 'CHAT', 'WHATSAPP', 'EMAIL', 'SOCIAL', 'WEB', 'CALLBACK'];
const RUN = Date.now().toString(36);

export const openInput = (n, tag) => ({
  input: {
    channel: CHANNELS[n % CHANNELS.length],
    priority: 'NORMAL',
    category: 'complaint',
    processKey: 'standard-complaint',
    product: 'Dishwasher DW-300',
    region: 'north',
    summary: `Bench ${tag} ${n}: the dishwasher stops mid-cycle`,
    description: 'The customer reports that the machine stops after ten minutes and shows error E24.',
    customer: { name: `Bench Customer ${tag}-${n}`, email: `bench-${RUN}-${tag.replace(/[^a-z0-9]+/gi, '-')}-${n}@example.com` },
    receivedBy: 'bench',
  },
});
