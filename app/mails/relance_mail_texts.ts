import type { Locale } from '#models/user'

/** A relance's subject and body as templates, in the placeholders of RelanceTemplate. */
export type RelanceTemplateText = { subject: string; body: string }

/** One wording, for one invoice or for several listed in one email. */
type Variant = readonly [one: string, several: string]

type Step = { subject: Variant; opening: Variant; closing: string }

/** Wording by step, per locale: polite first, firmer at each relance. */
const STEPS: Record<Locale, Step[]> = {
  fr: [
    {
      subject: [
        'Petit rappel : facture {{invoiceNumber}}',
        'Petit rappel : factures {{invoiceNumber}}',
      ],
      opening: [
        "Sauf erreur de ma part, je n'ai pas encore reçu le règlement de la facture {{invoiceNumber}}.",
        "Sauf erreur de ma part, je n'ai pas encore reçu le règlement des factures {{invoiceNumber}}.",
      ],
      closing: 'Si le paiement est déjà parti, merci de ne pas tenir compte de ce message.',
    },
    {
      subject: [
        'Deuxième rappel : facture {{invoiceNumber}} impayée',
        'Deuxième rappel : factures {{invoiceNumber}} impayées',
      ],
      opening: [
        'Je reviens vers vous au sujet de la facture {{invoiceNumber}}, toujours impayée à ce jour.',
        'Je reviens vers vous au sujet des factures {{invoiceNumber}}, toujours impayées à ce jour.',
      ],
      closing: 'Pourriez-vous me confirmer la date prévue du règlement ?',
    },
    {
      subject: [
        'Dernier rappel avant relance formelle : facture {{invoiceNumber}}',
        'Dernier rappel avant relance formelle : factures {{invoiceNumber}}',
      ],
      opening: [
        'Malgré mes précédents rappels, la facture {{invoiceNumber}} reste impayée.',
        'Malgré mes précédents rappels, les factures {{invoiceNumber}} restent impayées.',
      ],
      closing:
        'Sans règlement de votre part sous huit jours, je serai contraint(e) de vous adresser une mise en demeure.',
    },
  ],
  en: [
    {
      subject: [
        'Friendly reminder: invoice {{invoiceNumber}}',
        'Friendly reminder: invoices {{invoiceNumber}}',
      ],
      opening: [
        'Unless I am mistaken, I have not yet received payment for invoice {{invoiceNumber}}.',
        'Unless I am mistaken, I have not yet received payment for invoices {{invoiceNumber}}.',
      ],
      closing: 'If the payment is already on its way, please disregard this message.',
    },
    {
      subject: [
        'Second reminder: invoice {{invoiceNumber}} is unpaid',
        'Second reminder: invoices {{invoiceNumber}} are unpaid',
      ],
      opening: [
        'I am following up on invoice {{invoiceNumber}}, which is still unpaid.',
        'I am following up on invoices {{invoiceNumber}}, which are still unpaid.',
      ],
      closing: 'Could you let me know when the payment will be made?',
    },
    {
      subject: [
        'Final reminder before formal notice: invoice {{invoiceNumber}}',
        'Final reminder before formal notice: invoices {{invoiceNumber}}',
      ],
      opening: [
        'Despite my previous reminders, invoice {{invoiceNumber}} remains unpaid.',
        'Despite my previous reminders, invoices {{invoiceNumber}} remain unpaid.',
      ],
      closing: 'Without payment within eight days, I will have to send you a formal notice.',
    },
  ],
}

const LAYOUT: Record<Locale, { hello: string; facts: string; regards: string }> = {
  fr: {
    hello: 'Bonjour {{clientName}},',
    facts: 'Montant : {{amount}}. Échéance : {{dueDate}} ({{daysLate}} jours de retard).',
    regards: 'Bien cordialement,',
  },
  en: {
    hello: 'Hello {{clientName}},',
    facts: 'Amount: {{amount}}. Due date: {{dueDate}} ({{daysLate}} days overdue).',
    regards: 'Kind regards,',
  },
}

/**
 * The built-in relance of this step (past the last one, the last wording)
 * in the locale. Lines holding only an empty value (no terms, no payment
 * instructions) are left out when it is rendered.
 */
export function builtInRelanceTemplate(
  locale: Locale,
  sequence: number,
  { several = false } = {}
): RelanceTemplateText {
  const steps = STEPS[locale]
  const step = steps[Math.min(sequence, steps.length) - 1]
  const pick = (variant: Variant) => variant[several ? 1 : 0]
  const layout = LAYOUT[locale]
  const body = [
    layout.hello,
    '',
    pick(step.opening),
    layout.facts,
    '{{latePaymentTerms}}',
    '',
    step.closing,
    '',
    layout.regards,
    '{{userName}}',
    '',
    '{{paymentInstructions}}',
  ]
  return { subject: pick(step.subject), body: body.join('\n') }
}

/** How each invoice of a grouped email starts its own line. */
export const INVOICE_ITEM: Record<Locale, (invoiceNumber: string) => string> = {
  fr: (number) => `- Facture ${number} : `,
  en: (number) => `- Invoice ${number}: `,
}

export type LateTermsValues = {
  /** The annual rate and the interest to date, both formatted; null without a rate. */
  penalty: { rate: string; interest: string } | null
  /** The €40 recovery indemnity (EUR invoices). */
  indemnity: boolean
}

/** The late-payment terms of one invoice, as Code de commerce L441-10 and D441-5 ask. */
export const LATE_TERMS: Record<Locale, (values: LateTermsValues) => string> = {
  fr: ({ penalty, indemnity }) => {
    const terms = [
      penalty &&
        `des pénalités de retard au taux annuel de ${penalty.rate} % (soit ${penalty.interest} à ce jour)`,
      indemnity && 'une indemnité forfaitaire pour frais de recouvrement de 40 €',
    ].filter(Boolean)
    return `Conformément aux articles L441-10 et D441-5 du Code de commerce, ce retard entraîne ${terms.join(' et ')}.`
  },
  en: ({ penalty, indemnity }) => {
    const terms = [
      penalty && `late payment interest of ${penalty.rate}% a year (${penalty.interest} to date)`,
      indemnity && 'a fixed sum of €40 for recovery costs',
    ].filter(Boolean)
    return `Under articles L441-10 and D441-5 of the French Commercial Code, this delay incurs ${terms.join(' and ')}.`
  },
}

/** The line that closes every relance: the client's page, where the client answers. */
export const CLIENT_PAGE_LINE: Record<Locale, (pageUrl: string) => string> = {
  fr: (url) => `Déjà payé, une date à proposer, une question ? ${url}`,
  en: (url) => `Already paid, a date to suggest, a question? ${url}`,
}

/** Before the page link, when PDFs did not fit in the email (10 MB in all at most). */
export const DOCUMENTS_ON_PAGE: Record<Locale, (numbers: string[]) => string> = {
  fr: (numbers) =>
    numbers.length === 1
      ? `Le PDF de la facture ${numbers[0]} est trop lourd pour cet email : téléchargez-le sur la page ci-dessous.`
      : `Les PDF des factures ${numbers.join(', ')} sont trop lourds pour cet email : téléchargez-les sur la page ci-dessous.`,
  en: (numbers) =>
    numbers.length === 1
      ? `The PDF of invoice ${numbers[0]} is too large for this email: download it from the page below.`
      : `The PDFs of invoices ${numbers.join(', ')} are too large for this email: download them from the page below.`,
}

export type TransferDetailsValues = {
  holder: string
  iban: string
  bic: string | null
  /** The invoice numbers, each the reference of its own transfer. */
  references: string[]
}

/** How to pay by transfer, when the user gave an IBAN and no payment instructions of their own. */
export const TRANSFER_DETAILS: Record<Locale, (values: TransferDetailsValues) => string> = {
  fr: (v) =>
    [
      'Règlement par virement :',
      `Titulaire : ${v.holder}`,
      `IBAN : ${v.iban}`,
      ...(v.bic ? [`BIC : ${v.bic}`] : []),
      v.references.length === 1
        ? `Référence à indiquer : ${v.references[0]}`
        : `Référence à indiquer : le numéro de chaque facture (${v.references.join(', ')})`,
    ].join('\n'),
  en: (v) =>
    [
      'Payment by bank transfer:',
      `Account holder: ${v.holder}`,
      `IBAN: ${v.iban}`,
      ...(v.bic ? [`BIC: ${v.bic}`] : []),
      v.references.length === 1
        ? `Reference: ${v.references[0]}`
        : `Reference: the number of each invoice (${v.references.join(', ')})`,
    ].join('\n'),
}
