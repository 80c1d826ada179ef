/*
| A client of the API written against the TypeScript types openapi-typescript
| generates from the served OpenAPI document (tmp/openapi/schema.d.ts):
| tests/functional/api/openapi_clients.spec.ts generates them and compiles
| this file with tsc. It is not run; compiling it is the test, and the
| @ts-expect-error lines prove the types are precise enough to refuse mistakes.
*/
import type { components, paths, webhooks } from '../../tmp/openapi/schema.js'

type Invoice = components['schemas']['Invoice']
type InvoicePage = paths['/invoices']['get']['responses'][200]['content']['application/json']
type NewInvoice = paths['/invoices']['post']['requestBody']['content']['application/json']
type Created = paths['/webhooks']['post']['responses'][201]['content']['application/json']
type Receivables = paths['/stats']['get']['responses'][200]['content']['application/json']
type InvoicePaid = webhooks['invoice.paid']['post']['requestBody']['content']['application/json']

async function call<Body>(baseUrl: string, token: string, path: string, init: RequestInit = {}) {
  const response = await fetch(`${baseUrl}${path}`, {
    ...init,
    headers: { 'authorization': `Bearer ${token}`, 'content-type': 'application/json' },
  })
  return (await response.json()) as Body
}

export async function latePendingInvoices(baseUrl: string, token: string): Promise<Invoice[]> {
  const page = await call<InvoicePage>(baseUrl, token, '/invoices?status=pending')
  return page.data.filter((invoice) => invoice.dueDate < new Date().toISOString().slice(0, 10))
}

export function createInvoice(baseUrl: string, token: string, invoice: NewInvoice) {
  return call<{ data: Invoice }>(baseUrl, token, '/invoices', {
    method: 'POST',
    body: JSON.stringify(invoice),
  })
}

export async function subscribe(baseUrl: string, token: string): Promise<string> {
  const created = await call<Created>(baseUrl, token, '/webhooks', {
    method: 'POST',
    body: JSON.stringify({ url: 'https://hooks.example.net/relance', events: ['invoice.paid'] }),
  })
  return created.data.secret
}

export async function overdueCents(baseUrl: string, token: string, currency: string) {
  const { data } = await call<Receivables>(baseUrl, token, '/stats')
  const receivables = data.currencies.find((entry) => entry.currency === currency)
  return (receivables?.outstanding.byAge ?? [])
    .filter((age) => age.bucket !== 'not_due')
    .reduce((total, age) => total + age.cents, 0)
}

/** What a receiver of `invoice.paid` reads from the body it verified. */
export function describePayment(event: InvoicePaid): string {
  const { invoice, paymentNumber } = event.data
  return `${invoice.number} paid (${invoice.paidVia ?? 'unknown'}), payment ${paymentNumber}`
}

export function mistakes(invoice: Invoice, event: InvoicePaid, created: Created) {
  // @ts-expect-error amountCents is a number
  const amount: string = invoice.amountCents
  // @ts-expect-error an invoice has no field `paid`
  const paid = invoice.paid
  // @ts-expect-error the event type is a constant
  const type: 'invoice.cancelled' = event.type
  // @ts-expect-error the creation's answer is wrapped in `data`
  const secret: string = created.secret
  // @ts-expect-error dueDate is required to create an invoice
  const incomplete: NewInvoice = {
    number: 'F-1',
    clientName: 'A',
    clientEmail: 'a@b.c',
    amountCents: 1,
  }
  return [amount, paid, type, secret, incomplete]
}
