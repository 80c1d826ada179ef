import { DateTime } from 'luxon'
import hash from '@adonisjs/core/services/hash'
import { compose } from '@adonisjs/core/helpers'
import { BaseModel, column, hasMany } from '@adonisjs/lucid/orm'
import type { HasMany } from '@adonisjs/lucid/types/relations'
import { withAuthFinder } from '@adonisjs/auth/mixins/lucid'
import { type AccessToken, DbAccessTokensProvider } from '@adonisjs/auth/access_tokens'
import Client from '#models/client'
import Invoice from '#models/invoice'
import env from '#start/env'
import { Timestamps } from '#models/mixins/timestamps'

const AuthFinder = withAuthFinder(() => hash.use('scrypt'), {
  uids: ['email'],
  passwordColumnName: 'password',
})

export type Locale = 'fr' | 'en'

export default class User extends compose(BaseModel, Timestamps, AuthFinder) {
  /** The link of a verification email works for this long after it was sent. */
  static readonly VERIFICATION_TTL = { hours: 48 }

  // Every token, from register or login, stops working this long after it is issued
  static accessTokens = DbAccessTokensProvider.forModel(User, {
    expiresIn: env.get('AUTH_TOKEN_TTL_DAYS') * 24 * 60 * 60,
  })
  declare currentAccessToken?: AccessToken

  @column({ isPrimary: true })
  declare id: number

  @column()
  declare email: string

  @column({ serializeAs: null })
  declare password: string

  @column()
  declare fullName: string

  @column()
  declare rubis: number

  @column()
  declare timezone: string

  @column()
  declare locale: Locale

  @column()
  declare relanceOffsets: number[]

  @column.dateTime()
  declare emailVerifiedAt: DateTime | null

  @column({ serializeAs: null })
  declare emailVerificationTokenHash: string | null

  @column.dateTime()
  declare emailVerificationSentAt: DateTime | null

  /** A check-in on the weekday before each relance after the first. */
  @column()
  declare checkinBeforeEachRelance: boolean

  /** How to pay: closes every relance when set. */
  @column()
  declare paymentInstructions: string | null

  /** Annual late-payment rate in percent; numeric comes back from pg as a string. */
  @column({ consume: (value: string | null) => (value === null ? null : Number(value)) })
  declare latePenaltyRate: number | null

  @column()
  declare thankClientsOnPayment: boolean

  /** Bank details for transfers, stated in relances and on the client's page; stored without spaces. */
  @column()
  declare iban: string | null

  @column()
  declare bic: string | null

  @column()
  declare accountHolder: string | null

  /** Who the transfers go to: the holder given, else the user's full name. */
  static transferHolderOf(user: { accountHolder: string | null; fullName: string }) {
    return user.accountHolder ?? user.fullName
  }

  get transferHolder() {
    return User.transferHolderOf(this)
  }

  @hasMany(() => Client)
  declare clients: HasMany<typeof Client>

  @hasMany(() => Invoice)
  declare invoices: HasMany<typeof Invoice>

  /**
   * Nothing goes out on a user's behalf before the address is proven theirs
   * (EMAIL_VERIFICATION=off lifts the rule, for local hacking only).
   */
  get maySendEmails() {
    return User.maySendEmailsWhenVerifiedAt(this.emailVerifiedAt)
  }

  /** The rule of `maySendEmails`, for a user row read without the model (the worker's claim). */
  static maySendEmailsWhenVerifiedAt(emailVerifiedAt: unknown) {
    return emailVerifiedAt !== null || !User.#verificationRequired()
  }

  /** The same rule as SQL on the users row `u`, for a query that picks who to send to. */
  static maySendEmailsSql(u: string) {
    return User.#verificationRequired() ? `${u}.email_verified_at IS NOT NULL` : 'TRUE'
  }

  static #verificationRequired() {
    return env.get('EMAIL_VERIFICATION', 'required') !== 'off'
  }
}
