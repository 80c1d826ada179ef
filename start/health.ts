import db from '@adonisjs/lucid/services/db'
import redis from '@adonisjs/redis/services/main'
import { DbCheck } from '@adonisjs/lucid/database'
import { RedisCheck } from '@adonisjs/redis'
import { HealthChecks } from '@adonisjs/core/health'

export const healthChecks = new HealthChecks().register([
  new DbCheck(db.connection()).as('postgresql'),
  new RedisCheck(redis.connection()).as('redis'),
])
