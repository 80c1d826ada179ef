import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Invoice from '#models/invoice'
import ConflictException from '#exceptions/conflict_exception'

/** The refusal of a number the user already has, for the API and for import rows alike. */
export const numberTakenMessage = (number: string) => `Invoice number ${number} already exists`

/** A 409 when another of the user's invoices has this number. */
export async function assertNumberIsFree(
  userId: number,
  number: string,
  trx: TransactionClientContract,
  exceptId?: number
) {
  const taken = await Invoice.query({ client: trx })
    .where('user_id', userId)
    .where('number', number)
    .if(exceptId, (query) => query.whereNot('id', exceptId!))
    .first()
  if (taken) throw new ConflictException(numberTakenMessage(number))
}
