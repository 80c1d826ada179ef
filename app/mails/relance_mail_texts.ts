import type { Locale } from '#models/user'

export type RelanceMailValues = {
  clientName: string
  invoiceNumber: string
  amount: string
  dueDate: string
  daysLate: number
  userName: string
}

type Step = { subject: string; opening: string; closing: string }

/** Wording by step, per locale: polite first, firmer at each relance. */
const STEPS: Record<Locale, Step[]> = {
  fr: [
    {
      subject: 'Petit rappel : facture {number}',
      opening:
        "Sauf erreur de ma part, je n'ai pas encore reçu le règlement de la facture {number}.",
      closing: 'Si le paiement est déjà parti, merci de ne pas tenir compte de ce message.',
    },
    {
      subject: 'Deuxième rappel : facture {number} impayée',
      opening: 'Je reviens vers vous au sujet de la facture {number}, toujours impayée à ce jour.',
      closing: 'Pourriez-vous me confirmer la date prévue du règlement ?',
    },
    {
      subject: 'Dernier rappel avant relance formelle : facture {number}',
      opening: 'Malgré mes précédents rappels, la facture {number} reste impayée.',
      closing:
        'Sans règlement de votre part sous huit jours, je serai contraint(e) de vous adresser une mise en demeure.',
    },
  ],
  en: [
    {
      subject: 'Friendly reminder: invoice {number}',
      opening: 'Unless I am mistaken, I have not yet received payment for invoice {number}.',
      closing: 'If the payment is already on its way, please disregard this message.',
    },
    {
      subject: 'Second reminder: invoice {number} is unpaid',
      opening: 'I am following up on invoice {number}, which is still unpaid.',
      closing: 'Could you let me know when the payment will be made?',
    },
    {
      subject: 'Final reminder before formal notice: invoice {number}',
      opening: 'Despite my previous reminders, invoice {number} remains unpaid.',
      closing: 'Without payment within eight days, I will have to send you a formal notice.',
    },
  ],
}

const LAYOUT: Record<
  Locale,
  (v: RelanceMailValues) => Record<'hello' | 'facts' | 'regards', string>
> = {
  fr: (v) => ({
    hello: `Bonjour ${v.clientName},`,
    facts: `Montant : ${v.amount}. Échéance : ${v.dueDate} (${v.daysLate} jours de retard).`,
    regards: 'Bien cordialement,',
  }),
  en: (v) => ({
    hello: `Hello ${v.clientName},`,
    facts: `Amount: ${v.amount}. Due date: ${v.dueDate} (${v.daysLate} days overdue).`,
    regards: 'Kind regards,',
  }),
}

/** The relance of this step (past the last one, the last wording) in the locale. */
export function relanceMailText(locale: Locale, sequence: number, values: RelanceMailValues) {
  const steps = STEPS[locale]
  const step = steps[Math.min(sequence, steps.length) - 1]
  const fill = (template: string) => template.replaceAll('{number}', values.invoiceNumber)
  const layout = LAYOUT[locale](values)
  const lines = [
    layout.hello,
    '',
    fill(step.opening),
    layout.facts,
    '',
    fill(step.closing),
    '',
    layout.regards,
    values.userName,
  ]
  return { subject: fill(step.subject), text: lines.join('\n') }
}
