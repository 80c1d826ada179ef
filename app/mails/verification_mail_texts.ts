import type { Locale } from '#models/user'

/**
 * Nothing the registering person typed goes in: the email goes to any
 * address someone registers with, and a name ("Visit http://evil.test now")
 * would make it a channel for their text.
 */
export type VerificationMailValues = { verifyUrl: string; linkLifetime: string }

/** The address verification email, per locale. */
export const VERIFICATION_MAIL_TEXTS: Record<
  Locale,
  (values: VerificationMailValues) => { subject: string; lines: string[] }
> = {
  en: (v) => ({
    subject: 'Confirm your email address for Relance',
    lines: [
      'Hello,',
      '',
      'Confirm that this address is yours, and Relance can start sending on your behalf:',
      v.verifyUrl,
      '',
      `This link expires in ${v.linkLifetime}. Until then, no email goes out for your invoices.`,
      'If you did not create a Relance account, ignore this message.',
      '',
      'Relance',
    ],
  }),
  fr: (v) => ({
    subject: 'Confirme ton adresse email pour Relance',
    lines: [
      'Bonjour,',
      '',
      'Confirme que cette adresse est bien la tienne, et Relance pourra envoyer des emails en ton nom :',
      v.verifyUrl,
      '',
      `Ce lien expire dans ${v.linkLifetime}. D'ici là, aucun email ne part pour tes factures.`,
      "Si tu n'as pas créé de compte Relance, ignore ce message.",
      '',
      'Relance',
    ],
  }),
}
