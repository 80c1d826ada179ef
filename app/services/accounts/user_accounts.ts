import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import User, { type Locale } from '#models/user'
import ConflictException from '#exceptions/conflict_exception'

export async function registerUser(
  details: { fullName: string; email: string; password: string },
  trx: TransactionClientContract
) {
  const taken = await User.query({ client: trx })
    .whereRaw('lower(email) = ?', [details.email])
    .first()
  if (taken) throw new ConflictException('An account already uses this email')
  const user = await User.create(
    { ...details, email: details.email.toLowerCase() },
    { client: trx }
  )
  // The insert returns only the id: read back the columns the database defaults
  return user.refresh()
}

export async function updateProfile(
  user: User,
  changes: {
    fullName?: string
    timezone?: string
    locale?: Locale
    relanceOffsets?: number[]
    paymentInstructions?: string | null
    latePenaltyRate?: number | null
    thankClientsOnPayment?: boolean
  },
  trx: TransactionClientContract
) {
  user.useTransaction(trx)
  return user.merge(changes).save()
}
