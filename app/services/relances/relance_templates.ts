import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import RelanceTemplate from '#models/relance_template'
import type { Locale } from '#models/user'

export function listRelanceTemplates(userId: number) {
  return RelanceTemplate.query()
    .where('user_id', userId)
    .orderBy('sequence', 'asc')
    .orderBy('locale', 'asc')
}

/** Saves the user's wording of a step in a locale, replacing any earlier one. */
export async function saveRelanceTemplate(
  userId: number,
  sequence: number,
  text: { locale: Locale; subject: string; body: string },
  trx: TransactionClientContract
) {
  // The app's clock, not PostgreSQL's now(): one clock for every time the app compares
  const now = new Date()
  const { rows } = await trx.rawQuery(
    `INSERT INTO relance_templates (user_id, sequence, locale, subject, body, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (user_id, sequence, locale)
     DO UPDATE SET subject = EXCLUDED.subject, body = EXCLUDED.body, updated_at = EXCLUDED.updated_at
     RETURNING *`,
    [userId, sequence, text.locale, text.subject, text.body, now, now]
  )
  return RelanceTemplate.$createFromAdapterResult(rows[0])!
}

/** Back to the built-in text of that step and locale; nothing saved is fine too. */
export async function deleteRelanceTemplate(
  userId: number,
  sequence: number,
  locale: Locale,
  trx: TransactionClientContract
) {
  await RelanceTemplate.query({ client: trx })
    .where('user_id', userId)
    .where('sequence', sequence)
    .where('locale', locale)
    .delete()
}
