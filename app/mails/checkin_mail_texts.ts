import type { Locale } from '#models/user'

export type CheckinMailValues = {
  userName: string
  invoiceNumber: string
  clientName: string
  amount: string
  dueDate: string
  paidUrl: string
  pendingUrl: string
  linkLifetime: string
}

/** The check-in email, per locale: to the freelancer, who is "tu" in French. */
export const CHECKIN_MAIL_TEXTS: Record<
  Locale,
  (values: CheckinMailValues) => { subject: string; lines: string[] }
> = {
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
