import type { Locale } from '#models/user'

export type ThankYouMailValues = {
  clientName: string
  invoiceNumber: string
  amount: string
  userName: string
}

/** The thank-you to the client once paid, per locale: short, in the freelancer's name. */
export const THANK_YOU_MAIL_TEXTS: Record<
  Locale,
  (values: ThankYouMailValues) => { subject: string; lines: string[] }
> = {
  fr: (v) => ({
    subject: `Merci pour votre règlement : facture ${v.invoiceNumber}`,
    lines: [
      `Bonjour ${v.clientName},`,
      '',
      `J'ai bien reçu le règlement de la facture ${v.invoiceNumber} (${v.amount}). Merci !`,
      '',
      'Bien cordialement,',
      v.userName,
    ],
  }),
  en: (v) => ({
    subject: `Thank you for your payment: invoice ${v.invoiceNumber}`,
    lines: [
      `Hello ${v.clientName},`,
      '',
      `I have received the payment of invoice ${v.invoiceNumber} (${v.amount}). Thank you!`,
      '',
      'Kind regards,',
      v.userName,
    ],
  }),
}
