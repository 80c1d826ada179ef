import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import { BaseSeeder } from '@adonisjs/lucid/seeders'
import Invoice from '#models/invoice'
import User from '#models/user'
import { createInvoice, type NewInvoice } from '#services/invoices/create_invoices'
import { markInvoicePaid } from '#services/invoices/mark_invoice_paid'
import sendRelanceJob, { relanceJob } from '#jobs/send_relance_job'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib'
import drive from '@adonisjs/drive/services/main'
import { newDocumentKey, removeDocuments } from '#services/documents/document_storage'
import { formatAmount, formatDate } from '#mails/formatting'

export const DEMO_ACCOUNT = {
  email: 'demo@relance.test',
  password: 'relance-demo',
  fullName: 'Camille Demo',
}

/** The client of DEMO-1, whose relance goes out at once: its link opens the client's page. */
export const DEMO_CLIENT = {
  clientName: 'Atelier Dupont',
  clientEmail: 'compta@atelier-dupont.test',
}

/** A sample IBAN (valid checksum): the client's page shows transfer details and a QR code. */
const DEMO_IBAN = 'FR7630006000011234567890189'

/**
 * A demo account with invoices due yesterday, today and in three days, and
 * one paid, made by the services the API uses: their check-ins and relances
 * are scheduled as for any invoice, except that the first relance of DEMO-1
 * is brought to now, so that a newcomer finds it in the dev inbox and opens
 * the client's page from it. Run again, it creates nothing twice and sets
 * the printed password back.
 */
/** A one-page PDF of the invoice, made here: what a freelancer would upload. */
async function demoInvoicePdf(invoice: Invoice, client: string) {
  const pdf = await PDFDocument.create()
  pdf.setTitle(`Facture ${invoice.number}`)
  const page = pdf.addPage([595, 842])
  const bold = await pdf.embedFont(StandardFonts.HelveticaBold)
  const regular = await pdf.embedFont(StandardFonts.Helvetica)
  const line = (text: string, y: number, size = 12, font = regular) =>
    page.drawText(text, { x: 64, y, size, font, color: rgb(0.11, 0.14, 0.19) })
  line(DEMO_ACCOUNT.fullName, 770, 14, bold)
  line(`FACTURE ${invoice.number}`, 700, 22, bold)
  line(`Client : ${client}`, 660)
  line(`Échéance : ${formatDate(invoice.dueDate, 'fr')}`, 640)
  // The standard fonts have no narrow no-break space, which French amounts group thousands with
  const amount = formatAmount(invoice.amountCents, invoice.currency, 'fr').replace(/\u202f/g, ' ')
  line(`Montant à payer : ${amount}`, 610, 14, bold)
  line('Exemple de démonstration généré par Relance.', 96, 9)
  return pdf.save()
}

/**
 * DEMO-1 carries its PDF, so its relance has it attached and the client's
 * page links it. Written before the row records it; gone if the seed fails.
 */
async function attachDemoPdf(
  invoice: Invoice,
  details: NewInvoice,
  trx: TransactionClientContract
) {
  const bytes = await demoInvoicePdf(invoice, details.clientName)
  const path = newDocumentKey(invoice.userId)
  await drive.use().put(path, bytes, { contentType: 'application/pdf' })
  trx.after('rollback', () => removeDocuments([path]))
  await invoice
    .useTransaction(trx)
    .merge({
      documentPath: path,
      documentFilename: `Facture ${invoice.number}.pdf`,
      documentSizeBytes: bytes.length,
      documentUploadedAt: DateTime.now(),
    })
    .save()
}

export default class DemoAccountSeeder extends BaseSeeder {
  static environment = ['development']

  async run() {
    const created = await db.transaction(async (trx) => {
      const existingUser = await User.findBy('email', DEMO_ACCOUNT.email, { client: trx })
      const user = await User.updateOrCreate(
        { email: DEMO_ACCOUNT.email },
        {
          fullName: DEMO_ACCOUNT.fullName,
          password: DEMO_ACCOUNT.password,
          iban: DEMO_IBAN,
          // Verified: its emails go out at once, as a real account's do once verified
          emailVerifiedAt: existingUser?.emailVerifiedAt ?? DateTime.now(),
        },
        { client: trx }
      )
      // The timezone and relance offsets the database defaults
      await user.refresh()
      const today = DateTime.now().setZone(user.timezone).startOf('day')
      const atelier = DEMO_CLIENT
      const studio = { clientName: 'Studio Nord', clientEmail: 'factures@studio-nord.test' }
      const invoices: (NewInvoice & { paid?: true })[] = [
        { number: 'DEMO-1', amountCents: 180_000, dueDate: today.minus({ days: 1 }), ...atelier },
        { number: 'DEMO-2', amountCents: 95_000, dueDate: today, ...studio },
        { number: 'DEMO-3', amountCents: 240_000, dueDate: today.plus({ days: 3 }), ...atelier },
        {
          number: 'DEMO-4',
          amountCents: 60_000,
          dueDate: today.minus({ days: 12 }),
          ...studio,
          paid: true,
        },
      ]
      const existing = await Invoice.query({ client: trx })
        .where('user_id', user.id)
        .whereIn(
          'number',
          invoices.map((invoice) => invoice.number)
        )
      const taken = new Set(existing.map((invoice) => invoice.number))
      const made: string[] = []
      for (const { paid, ...details } of invoices) {
        if (taken.has(details.number)) continue
        const invoice = await createInvoice(user, details, trx)
        if (paid) await markInvoicePaid(invoice, { via: 'manual' }, trx)
        if (details.number === 'DEMO-1') {
          await attachDemoPdf(invoice, details, trx)
          const relances = await trx
            .from('relances')
            .where('invoice_id', invoice.id)
            .where('sequence', 1)
            .update({ scheduled_at: new Date() }, ['id', 'invoice_id', 'scheduled_at'])
          sendRelanceJob.replaceAfterCommit(
            trx,
            relances.map((row: { id: number; invoice_id: number; scheduled_at: Date }) =>
              relanceJob({ id: row.id, invoiceId: row.invoice_id, scheduledAt: row.scheduled_at })
            )
          )
        }
        made.push(details.number)
      }
      return made
    })

    console.log(
      [
        `Demo account: ${DEMO_ACCOUNT.email}, password ${DEMO_ACCOUNT.password}`,
        `Invoices DEMO-1 (due yesterday), DEMO-2 (today), DEMO-3 (in three days), DEMO-4 (paid): ` +
          (created.length ? `created ${created.join(', ')}` : 'all there already'),
        `With npm run dev running, the check-in email of DEMO-1 reaches the inbox within ` +
          `CHECKIN_PAST_DUE_DELAY_MS, and its first relance reaches ${DEMO_CLIENT.clientEmail} ` +
          `at once, its PDF attached: the link at its end opens the client's page.`,
      ].join('\n')
    )
  }
}
