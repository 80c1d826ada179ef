import type RelanceTemplate from '#models/relance_template'
import { BaseTransformer } from '@adonisjs/core/transformers'

export default class RelanceTemplateTransformer extends BaseTransformer<RelanceTemplate> {
  toObject() {
    return this.pick(this.resource, ['sequence', 'locale', 'subject', 'body', 'updatedAt'])
  }
}
