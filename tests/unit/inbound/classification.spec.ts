import { test } from '@japa/runner'
import { readFile } from 'node:fs/promises'
import { readInboundMail } from '#inbound/inbound_mail'
import { classifyInboundMail, type Classification } from '#inbound/classification'
import type { InboundAddressKind } from '#inbound/inbound_addresses'

const FIXTURES = new URL('../../fixtures/inbound/', import.meta.url)

async function classify(file: string, to: InboundAddressKind = 'reply') {
  return classifyInboundMail(await readInboundMail(await readFile(new URL(file, FIXTURES))), to)
}

type Bounce = Extract<Classification, { kind: 'bounce' }>

/** What each real bounce must read as: for good or a delay, the failed address, the code, why. */
const BOUNCES: [
  string,
  Pick<Bounce, 'permanent' | 'status' | 'cause' | 'format'> & { recipient: string },
][] = [
  [
    'bounce-postfix-user-unknown-5.1.1.eml',
    {
      permanent: true,
      status: '5.1.1',
      cause: 'unknown_address',
      format: 'dsn',
      recipient: 'kijitora@example.co.jp',
    },
  ],
  [
    'bounce-postfix-mailbox-full-5.2.2.eml',
    {
      permanent: true,
      status: '5.2.2',
      cause: 'mailbox_full',
      format: 'dsn',
      recipient: 'neko@nyaaan.example.org',
    },
  ],
  // Action: failed with a 4.x.x code: the message was returned, for good
  [
    'bounce-postfix-timeout-failed-4.4.1.eml',
    {
      permanent: true,
      status: '4.4.1',
      cause: 'unreachable',
      format: 'dsn',
      recipient: 'kijitora@example.com',
    },
  ],
  [
    'bounce-exim-user-unknown-plain.eml',
    {
      permanent: true,
      status: '5.1.1',
      cause: 'unknown_address',
      format: 'plain',
      recipient: 'kijitora@icloud.example.com',
    },
  ],
  [
    'bounce-exim-delayed-warning.eml',
    {
      permanent: false,
      status: '450',
      cause: 'other',
      format: 'plain',
      recipient: 'kijitora@example.co.jp',
    },
  ],
  [
    'bounce-exchange-fr-non-remis-5.1.1.eml',
    {
      permanent: true,
      status: '5.1.1',
      cause: 'unknown_address',
      format: 'dsn',
      recipient: 'transports@agglo-saumur.fr',
    },
  ],
  [
    'bounce-office365-recipient-not-found-5.1.10.eml',
    {
      permanent: true,
      status: '5.1.10',
      cause: 'unknown_address',
      format: 'dsn',
      recipient: 'kijitora-nyaan@neko.kyoto.example.jp',
    },
  ],
  [
    'bounce-hotmail-mailbox-full-5.2.2.eml',
    {
      permanent: true,
      status: '5.2.2',
      cause: 'mailbox_full',
      format: 'dsn',
      recipient: 'kijitora@example.jp',
    },
  ],
  // Status 5.0.0, but the remote answer inside says more: 5.1.0
  [
    'bounce-gmail-address-not-found.eml',
    {
      permanent: true,
      status: '5.1.0',
      cause: 'unknown_address',
      format: 'dsn',
      recipient: 'kijitora@example.de',
    },
  ],
  [
    'bounce-gmail-delay-4.4.1.eml',
    {
      permanent: false,
      status: '4.4.1',
      cause: 'unreachable',
      format: 'dsn',
      recipient: 'sotoneko@nora.nyaan.jp',
    },
  ],
  [
    'bounce-gmail-legacy-delay-mailbox-full-4.2.2.eml',
    {
      permanent: false,
      status: '4.2.2',
      cause: 'mailbox_full',
      format: 'plain',
      recipient: 'kijitora@example.jp',
    },
  ],
  [
    'bounce-yahoo-user-unknown-plain.eml',
    {
      permanent: true,
      status: '5.1.1',
      cause: 'unknown_address',
      format: 'plain',
      recipient: 'kijitora@example.jp',
    },
  ],
  [
    'bounce-qmail-unknown-user-plain.eml',
    {
      permanent: true,
      status: '5.5.0',
      cause: 'unknown_address',
      format: 'plain',
      recipient: 'kijitora@example.ne.jp',
    },
  ],
  // Auto-Submitted: auto-replied, no status code anywhere: words alone say it was rejected
  [
    'bounce-nonstandard-mailbox-full-autosubmitted.eml',
    {
      permanent: true,
      status: null,
      cause: 'mailbox_full',
      format: 'plain',
      recipient: 'xxxx@yyyyyy.net',
    },
  ],
]

const AUTOMATIC: [string, string][] = [
  ['autoreply-auto-submitted-away.eml', 'auto-submitted: auto-replied'],
  ['autoreply-exchange-automatic-reply.eml', 'subject'],
  ['autoreply-icloud-vacation.eml', 'x-apple-action: vacation'],
  ['autoreply-mimecast-autorespons.eml', 'auto-submitted: auto-replied'],
  ['written/autoreply-outlook-fr-reponse-automatique.eml', 'subject'],
  ['written/autoreply-gmail-vacation-en.eml', 'auto-submitted: auto-replied'],
  ['written/autoreply-gmail-vacation-fr.eml', 'auto-submitted: auto-replied'],
  ['written/autoreply-x-autoreply.eml', 'x-autoreply: yes'],
]

const REPLIES: [string, string][] = [
  ['reply-gmail.eml', 'Hello'],
  ['reply-outlook.eml', 'Hello'],
  ['reply-apple-mail.eml', 'Hello'],
  ['reply-iphone.eml', 'Hello'],
  ['reply-thunderbird-bottom-posted.eml', 'Hello'],
  ['reply-yahoo.eml', 'Hello'],
  [
    'written/reply-gmail-fr.eml',
    'Bonjour Camille,\n\nLe virement est parti lundi, vous devriez le recevoir d’ici mercredi.\n\nBonne journée,\nJean',
  ],
  [
    'written/reply-outlook-fr.eml',
    'Bonjour,\n\nLe montant ne correspond pas au devis signé (1 000 € HT). Pouvez-vous nous envoyer une facture corrigée ?\n\nJean Dupont',
  ],
]

test.group('Inbound classification: bounces', () => {
  for (const [file, expected] of BOUNCES) {
    test(`${file} is a bounce ${expected.permanent ? 'for good' : 'still retried'}, of ${expected.recipient}`, async ({
      assert,
    }) => {
      const found = await classify(file, 'bounce')
      assert.equal(found.kind, 'bounce')
      const { permanent, status, cause, format, recipients } = found as Bounce
      assert.deepEqual(
        { permanent, status, cause, format },
        {
          permanent: expected.permanent,
          status: expected.status,
          cause: expected.cause,
          format: expected.format,
        }
      )
      assert.equal(recipients[0], expected.recipient)
    })
  }

  test('a bounce is a bounce at the reply address too, before its Auto-Submitted header counts', async ({
    assert,
  }) => {
    const found = await classify('bounce-gmail-address-not-found.eml', 'reply')
    assert.equal(found.kind, 'bounce')
  })
})

test.group('Inbound classification: automatic replies', () => {
  for (const [file, marker] of AUTOMATIC) {
    test(`${file} is an automatic reply (${marker})`, async ({ assert }) => {
      assert.deepEqual(await classify(file), { kind: 'auto_reply', marker })
    })
  }
})

test.group('Inbound classification: replies', () => {
  for (const [file, text] of REPLIES) {
    test(`${file} is a reply whose own text is kept without the quoted history`, async ({
      assert,
    }) => {
      assert.deepEqual(await classify(file), { kind: 'reply', text, truncated: false })
    })
  }

  test('a person’s message to the bounce address is unknown: only bounces belong there', async ({
    assert,
  }) => {
    const found = await classify('reply-gmail.eml', 'bounce')
    assert.equal(found.kind, 'unknown')
  })
})
