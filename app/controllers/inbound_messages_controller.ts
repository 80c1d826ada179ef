import type { HttpContext } from '@adonisjs/core/http'
import { errors as vineErrors } from '@vinejs/vine'
import env from '#start/env'
import PayloadTooLargeException from '#exceptions/payload_too_large_exception'
import UnsupportedMediaTypeException from '#exceptions/unsupported_media_type_exception'
import { inboundMessageValidator } from '#validators/inbound'
import { carriesBearerSecret } from '#support/bearer_secrets'
import { readBoundedBody } from '#support/request_bodies'
import { MAX_INBOUND_BYTES, storeInboundMessage } from '#services/inbound/inbound_messages'

export default class InboundMessagesController {
  /**
   * A provider's inbound webhook: the raw message (message/rfc822) for a
   * reply or bounce address, stored and processed as the SMTP receiver's
   * are. Bearer INBOUND_WEBHOOK_SECRET; unset, the route is not there.
   */
  async store({ request, response }: HttpContext) {
    const secret = env.get('INBOUND_WEBHOOK_SECRET')
    if (!secret) return response.notFound({ errors: [{ message: 'Route not found' }] })
    if (!carriesBearerSecret(request.header('authorization'), secret)) {
      response.header('WWW-Authenticate', 'Bearer')
      return response.unauthorized({ errors: [{ message: 'Unauthorized access' }] })
    }
    const encoding = request.header('content-encoding', 'identity')
    if (!request.is(['message/rfc822']) || encoding !== 'identity') {
      throw new UnsupportedMediaTypeException(
        'The body must be the raw message, uncompressed, sent as Content-Type: message/rfc822'
      )
    }
    const { recipient } = await inboundMessageValidator.validate(request.qs())
    const raw = await readBoundedBody(request.request, MAX_INBOUND_BYTES)
    if (!raw) {
      throw new PayloadTooLargeException('The message is over the 10 MB limit for inbound mail')
    }
    const stored = await storeInboundMessage({
      recipients: [recipient],
      raw,
      source: 'webhook',
      envelopeFrom: null,
    })
    if (stored.length === 0) {
      throw new vineErrors.E_VALIDATION_ERROR([
        {
          field: 'recipient',
          rule: 'inboundAddress',
          message: 'The recipient field must be the reply or bounce address of a relance email',
        },
      ])
    }
    response.status(202)
    return { data: { accepted: true } }
  }
}
