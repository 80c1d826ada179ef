import { DateTime } from 'luxon'
import factory from '@adonisjs/lucid/factories'
import User from '#models/user'

export const UserFactory = factory
  .define(User, ({ faker }) => ({
    fullName: faker.person.fullName(),
    email: faker.internet.email().toLowerCase(),
    password: 'secret-password',
    rubis: 0,
    timezone: 'Europe/Paris',
    locale: 'fr' as const,
    relanceOffsets: [3, 10, 20],
    emailVerifiedAt: DateTime.now(),
  }))
  .state('english', (user) => {
    user.locale = 'en'
  })
  .state('unverified', (user) => {
    user.emailVerifiedAt = null
  })
  .build()
