import factory from '@adonisjs/lucid/factories'
import Client from '#models/client'
import { UserFactory } from '#database/factories/user_factory'

export const ClientFactory = factory
  .define(Client, ({ faker }) => ({
    name: faker.company.name(),
    email: faker.internet.email().toLowerCase(),
    remindersPausedUntil: null,
  }))
  .relation('user', () => UserFactory)
  .build()
