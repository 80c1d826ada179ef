import type { Locale } from '#models/user'

/** One invoice of a check-in email, with the links of its own task. */
export type CheckinInvoiceValues = {
  invoiceNumber: string
  clientName: string
  amount: string
  dueDate: string
  paidUrl: string
  pendingUrl: string
}

export type CheckinMailValues = CheckinInvoiceValues & {
  userName: string
  linkLifetime: string
}

/** The digest: every invoice whose check-in falls due at the same moment, in one email. */
export type CheckinDigestValues = {
  userName: string
  linkLifetime: string
  invoices: CheckinInvoiceValues[]
}

type MailText = { subject: string; lines: string[] }

/** The check-in email about one invoice, per locale: to the freelancer, who is "tu" in French. */
export const CHECKIN_MAIL_TEXTS: Record<Locale, (values: CheckinMailValues) => MailText> = {
  en: (v) => ({
    subject: `Have you been paid? Invoice ${v.invoiceNumber} (${v.clientName})`,
    lines: [
      `Hello ${v.userName},`,
      '',
      `Invoice ${v.invoiceNumber} to ${v.clientName}, ${v.amount}, was due on ${v.dueDate}.`,
      'Have you been paid?',
      '',
      `Yes, I have been paid: ${v.paidUrl}`,
      `Not yet: ${v.pendingUrl}`,
      '',
      `One click is enough. These links expire in ${v.linkLifetime}.`,
      'If you have not been paid, Relance keeps reminding your client for you.',
      '',
      'Relance',
    ],
  }),
  fr: (v) => ({
    subject: `As-tu été payé ? Facture ${v.invoiceNumber} (${v.clientName})`,
    lines: [
      `Bonjour ${v.userName},`,
      '',
      `La facture ${v.invoiceNumber} adressée à ${v.clientName}, d'un montant de ${v.amount}, arrivait à échéance le ${v.dueDate}.`,
      'As-tu été payé ?',
      '',
      `Oui, j'ai été payé : ${v.paidUrl}`,
      `Pas encore : ${v.pendingUrl}`,
      '',
      `Un clic suffit. Ces liens expirent dans ${v.linkLifetime}.`,
      "Si tu n'as pas été payé, Relance continue de relancer ton client pour toi.",
      '',
      'Relance',
    ],
  }),
}

/** The check-in email about several invoices, per locale: one numbered block per invoice. */
export const CHECKIN_DIGEST_TEXTS: Record<Locale, (values: CheckinDigestValues) => MailText> = {
  en: (v) => ({
    subject: `Have you been paid? ${v.invoices.length} invoices`,
    lines: [
      `Hello ${v.userName},`,
      '',
      `${v.invoices.length} invoices have reached their due date. Have you been paid?`,
      ...v.invoices.flatMap((invoice, index) => [
        '',
        `${index + 1}. Invoice ${invoice.invoiceNumber} to ${invoice.clientName}, ${invoice.amount}, due on ${invoice.dueDate}`,
        `   Yes, I have been paid: ${invoice.paidUrl}`,
        `   Not yet: ${invoice.pendingUrl}`,
      ]),
      '',
      `One click per invoice is enough. These links expire in ${v.linkLifetime}.`,
      'For each invoice not paid yet, Relance keeps reminding the client for you.',
      '',
      'Relance',
    ],
  }),
  fr: (v) => ({
    subject: `As-tu été payé ? ${v.invoices.length} factures`,
    lines: [
      `Bonjour ${v.userName},`,
      '',
      `${v.invoices.length} factures sont arrivées à échéance. As-tu été payé ?`,
      ...v.invoices.flatMap((invoice, index) => [
        '',
        `${index + 1}. Facture ${invoice.invoiceNumber} adressée à ${invoice.clientName}, ${invoice.amount}, échéance le ${invoice.dueDate}`,
        `   Oui, j'ai été payé : ${invoice.paidUrl}`,
        `   Pas encore : ${invoice.pendingUrl}`,
      ]),
      '',
      `Un clic par facture suffit. Ces liens expirent dans ${v.linkLifetime}.`,
      'Pour chaque facture pas encore payée, Relance continue de relancer le client pour toi.',
      '',
      'Relance',
    ],
  }),
}
