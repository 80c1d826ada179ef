import type { Locale } from '#models/user'

/**
 * The words of the client's page, per locale (the client is "vous" in
 * French). Values are written into the Edge templates escaped.
 */
export type ClientPageTexts = typeof CLIENT_PAGE_TEXTS.fr

export const CLIENT_PAGE_TEXTS = {
  fr: {
    title: (user: string) => `Factures de ${user}`,
    heading: (user: string) => `Vos factures en attente chez ${user}`,
    intro: (client: string, user: string) =>
      `Bonjour ${client}. Voici les factures de ${user} qui restent à régler. Déjà payé, une date à proposer, une question ? Dites-le ici : ${user} en est informé(e) et les relances s’arrêtent le temps de vérifier.`,
    none: 'Aucune facture en attente : tout est réglé. Merci !',
    number: 'Facture',
    amount: 'Montant',
    dueDate: 'Échéance',
    status: 'Situation',
    daysLate: (days: number) => (days === 1 ? '1 jour de retard' : `${days} jours de retard`),
    notDueYet: 'Pas encore échue',
    holds: {
      payment_reported: (since: string, user: string) =>
        `Paiement signalé le ${since} : ${user} vérifie sa réception.`,
      payment_promised: (date: string) => `Paiement promis pour le ${date}.`,
      disputed: (since: string, user: string) =>
        `Contestée le ${since} : ${user} reviendra vers vous.`,
      client_replied: (since: string, user: string) =>
        `Votre réponse du ${since} a été transmise à ${user}.`,
    },
    payHeading: 'Payer par virement',
    holder: 'Titulaire',
    iban: 'IBAN',
    bic: 'BIC',
    reference: 'Référence',
    qrLabel: (number: string) =>
      `QR code de virement SEPA pour la facture ${number}, à scanner avec l’application de votre banque`,
    qrHint: 'Scannez ce code avec l’application de votre banque : le virement est prérempli.',
    instructionsHeading: 'Modalités de paiement',
    document: (number: string, size: string) => `Télécharger la facture ${number} (PDF, ${size})`,
    paid: {
      summary: 'J’ai déjà payé',
      paidOn: 'Date du paiement',
      paidOnHint: 'Facultatif. Aujourd’hui ou avant.',
      note: 'Un mot pour le vendeur',
      noteHint: 'Facultatif, 500 caractères au plus (référence du virement, banque…).',
      submit: 'Signaler le paiement',
    },
    promise: {
      summary: 'Proposer une date de paiement',
      promisedOn: 'Je paierai le',
      promisedOnHint: 'D’aujourd’hui à dans 60 jours. Aucune relance d’ici là.',
      submit: 'Envoyer la date',
    },
    dispute: {
      summary: 'Contester ou poser une question',
      message: 'Votre message',
      messageHint: 'De 1 à 2 000 caractères. Les relances s’arrêtent jusqu’à la réponse.',
      submit: 'Envoyer le message',
    },
    errors: {
      heading: 'Le formulaire contient une erreur',
      paidOn: 'Indiquez une date réelle, aujourd’hui ou avant (au plus un an en arrière).',
      note: 'Le mot doit faire 500 caractères au plus, sans caractère invisible.',
      promisedOn: 'Indiquez une date réelle, d’aujourd’hui à dans 60 jours.',
      message: 'Écrivez un message de 1 à 2 000 caractères.',
    },
    done: {
      paid: (user: string) =>
        `Merci ! ${user} est informé(e) de votre paiement et vérifie sa réception. Vous ne recevrez pas de relance pour cette facture en attendant.`,
      promise: (user: string) =>
        `C’est noté. ${user} est informé(e) de la date que vous proposez ; aucune relance ne vous sera envoyée d’ici là.`,
      dispute: (user: string) =>
        `Votre message a été transmis à ${user}, qui reviendra vers vous. Les relances de cette facture sont suspendues.`,
      settled: 'Cette facture est déjà réglée ou annulée : il n’y a plus rien à faire.',
    },
    footer: (user: string) =>
      `Cette page est personnelle : elle vient d’un email de ${user} envoyé avec Relance. Elle fonctionne 60 jours.`,
  },
  en: {
    title: (user: string) => `Invoices from ${user}`,
    heading: (user: string) => `Your pending invoices from ${user}`,
    intro: (client: string, user: string) =>
      `Hello ${client}. Here are the invoices from ${user} still to be paid. Already paid, a date to suggest, a question? Say it here: ${user} is told, and the reminders stop while it is checked.`,
    none: 'No pending invoice: everything is settled. Thank you!',
    number: 'Invoice',
    amount: 'Amount',
    dueDate: 'Due date',
    status: 'Status',
    daysLate: (days: number) => (days === 1 ? '1 day overdue' : `${days} days overdue`),
    notDueYet: 'Not due yet',
    holds: {
      payment_reported: (since: string, user: string) =>
        `Payment reported on ${since}: ${user} is checking it arrived.`,
      payment_promised: (date: string) => `Payment promised for ${date}.`,
      disputed: (since: string, user: string) =>
        `Disputed on ${since}: ${user} will get back to you.`,
      client_replied: (since: string, user: string) =>
        `Your reply of ${since} was passed on to ${user}.`,
    },
    payHeading: 'Pay by bank transfer',
    holder: 'Account holder',
    iban: 'IBAN',
    bic: 'BIC',
    reference: 'Reference',
    qrLabel: (number: string) =>
      `SEPA transfer QR code for invoice ${number}, to scan with your banking app`,
    qrHint: 'Scan this code with your banking app: the transfer is filled in for you.',
    instructionsHeading: 'How to pay',
    document: (number: string, size: string) => `Download invoice ${number} (PDF, ${size})`,
    paid: {
      summary: 'I have already paid',
      paidOn: 'Payment date',
      paidOnHint: 'Optional. Today or earlier.',
      note: 'A note for the seller',
      noteHint: 'Optional, at most 500 characters (transfer reference, bank…).',
      submit: 'Report the payment',
    },
    promise: {
      summary: 'Suggest a payment date',
      promisedOn: 'I will pay on',
      promisedOnHint: 'From today to 60 days ahead. No reminder until then.',
      submit: 'Send the date',
    },
    dispute: {
      summary: 'Dispute or ask a question',
      message: 'Your message',
      messageHint: '1 to 2,000 characters. Reminders stop until you get an answer.',
      submit: 'Send the message',
    },
    errors: {
      heading: 'The form has an error',
      paidOn: 'Give a real date, today or earlier (at most a year back).',
      note: 'The note must be 500 characters at most, with no invisible character.',
      promisedOn: 'Give a real date, from today to 60 days ahead.',
      message: 'Write a message of 1 to 2,000 characters.',
    },
    done: {
      paid: (user: string) =>
        `Thank you! ${user} is told about your payment and is checking it arrived. You will get no reminder for this invoice meanwhile.`,
      promise: (user: string) =>
        `Noted. ${user} is told about the date you suggest; you will get no reminder until then.`,
      dispute: (user: string) =>
        `Your message was passed on to ${user}, who will get back to you. The reminders for this invoice are on hold.`,
      settled: 'This invoice is already paid or cancelled: there is nothing left to do.',
    },
    footer: (user: string) =>
      `This page is personal: it comes from an email ${user} sent with Relance. It works for 60 days.`,
  },
} satisfies Record<Locale, unknown>

/** The page that answers a link that does not work, or a refused request: in both languages. */
export const CLIENT_PAGE_ERRORS: Record<
  number,
  { fr: string; en: string; heading: { fr: string; en: string } }
> = {
  404: {
    heading: { fr: 'Ce lien ne fonctionne plus', en: 'This link no longer works' },
    fr: 'Il a expiré (les liens des emails de relance fonctionnent 60 jours) ou il est incomplet. Ouvrez le lien du dernier email reçu, ou répondez à cet email pour écrire au vendeur.',
    en: 'It has expired (the links of reminder emails work for 60 days) or it is incomplete. Open the link of the latest email you received, or reply to that email to write to the seller.',
  },
  429: {
    heading: { fr: 'Trop de demandes', en: 'Too many requests' },
    fr: 'Merci de patienter une minute avant de réessayer.',
    en: 'Please wait a minute before trying again.',
  },
  400: {
    heading: { fr: 'Demande refusée', en: 'Request refused' },
    fr: 'Cette demande n’a pas pu être lue. Revenez à la page et réessayez.',
    en: 'This request could not be read. Go back to the page and try again.',
  },
  500: {
    heading: { fr: 'Une erreur est survenue', en: 'Something went wrong' },
    fr: 'Rien n’a été enregistré. Réessayez dans un instant.',
    en: 'Nothing was recorded. Please try again in a moment.',
  },
}
