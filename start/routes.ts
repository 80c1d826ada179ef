import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import {
  throttleAuth,
  throttleCheckin,
  throttleClientPage,
  throttleVerificationEmails,
  throttleWrites,
} from '#start/limiter'

const AuthController = () => import('#controllers/auth_controller')
const ProfileController = () => import('#controllers/profile_controller')
const InvoicesController = () => import('#controllers/invoices_controller')
const ActivityController = () => import('#controllers/activity_controller')
const ClientsController = () => import('#controllers/clients_controller')
const RelancesController = () => import('#controllers/relances_controller')
const RelanceTemplatesController = () => import('#controllers/relance_templates_controller')
const HealthController = () => import('#controllers/health_controller')
const CheckinController = () => import('#controllers/checkin_controller')
const EmailVerificationController = () => import('#controllers/email_verification_controller')
const ImportBatchesController = () => import('#controllers/import_batches_controller')
const OpenapiController = () => import('#controllers/openapi_controller')
const ClientPageController = () => import('#controllers/client_page_controller')
const WebhooksController = () => import('#controllers/webhooks_controller')
const StatsController = () => import('#controllers/stats_controller')
const MetricsController = () => import('#controllers/metrics_controller')
const InvoiceDocumentsController = () => import('#controllers/invoice_documents_controller')
const InboundMessagesController = () => import('#controllers/inbound_messages_controller')

/**
 * Ids are positive integers that fit PostgreSQL's integer: anything else
 * matches no route and answers 404.
 */
router.where('id', { match: /^[1-9]\d{0,8}$/, cast: (value) => Number(value) })
// A relance step: a schedule has at most 10 offsets
router.where('sequence', { match: /^([1-9]|10)$/, cast: (value) => Number(value) })
// A row of an import: its line in the file (header = 1) or its index in `rows`
router.where('line', { match: /^[1-9]\d{0,6}$/, cast: (value) => Number(value) })

router
  .group(() => {
    router.get('health', [HealthController, 'show'])
    // Every route below has its entry in app/openapi/document.ts
    router.get('openapi.json', [OpenapiController, 'show'])
    // Prometheus: bearer METRICS_TOKEN, checked by the controller (404 when unset)
    router.get('metrics', [MetricsController, 'show'])
    // A provider's inbound webhook: bearer INBOUND_WEBHOOK_SECRET, checked by the controller (404 when unset)
    router.post('inbound/messages', [InboundMessagesController, 'store'])

    router
      .group(() => {
        router.post('register', [AuthController, 'register'])
        router.post('login', [AuthController, 'login'])
      })
      .prefix('auth')
      .use(throttleAuth)

    // Public: the link of the verification email (a page on GET, its button
    // POSTs), limited as the check-in links are. `resend`, below, is no token
    router
      .group(() => {
        router.get(':token', [EmailVerificationController, 'show'])
        router.post(':token', [EmailVerificationController, 'verify'])
      })
      .prefix('auth/verify-email')
      .where('token', /^(?!resend$)[^/]+$/)
      .use(throttleCheckin)

    // Public: the links of the check-in email, no auth middleware
    router
      .group(() => {
        router.get(':token/paid', [CheckinController, 'paid'])
        router.get(':token/pending', [CheckinController, 'pending'])
        // The confirmation page's buttons (CHECKIN_CONFIRMATION=page)
        router.post(':token/paid', [CheckinController, 'paid']).as('checkin.confirm_paid')
        router.post(':token/pending', [CheckinController, 'pending']).as('checkin.confirm_pending')
      })
      .prefix('checkin')
      .use(throttleCheckin)

    router
      .group(() => {
        router.post('auth/logout', [AuthController, 'logout'])
        router
          .post('auth/verify-email/resend', [EmailVerificationController, 'resend'])
          .use(throttleVerificationEmails)
        router.get('me', [ProfileController, 'show'])
        router.patch('me', [ProfileController, 'update'])

        // Updates answer PATCH only (a resource's update would answer PUT too),
        // so they stand beside their resource
        router
          .resource('invoices', InvoicesController)
          .only(['index', 'store', 'show'])
          .use('store', throttleWrites)
        router.patch('invoices/:id', [InvoicesController, 'update'])
        router
          .group(() => {
            router.post('mark-paid', [InvoicesController, 'markPaid'])
            router.post('cancel', [InvoicesController, 'cancel'])
            router.post('reopen', [InvoicesController, 'reopen'])
            router.post('hold', [InvoicesController, 'hold'])
            router.post('release', [InvoicesController, 'release'])
            // The invoice's PDF (app/services/documents)
            router.put('document', [InvoiceDocumentsController, 'update'])
            router.get('document', [InvoiceDocumentsController, 'show'])
            router.delete('document', [InvoiceDocumentsController, 'destroy'])
          })
          .prefix('invoices/:id')

        router
          .resource('import-batches', ImportBatchesController)
          .only(['store', 'show', 'destroy'])
          .use('store', throttleWrites)
        router.post('import-batches/:id/validate', [ImportBatchesController, 'validateDraft'])
        // Completes a row of a draft (a Factur-X without due date or buyer email)
        router.patch('import-batches/:id/rows/:line', [ImportBatchesController, 'updateRow'])

        router.resource('clients', ClientsController).only(['index', 'show'])
        router.patch('clients/:id', [ClientsController, 'update'])

        router.get('relances', [RelancesController, 'index'])
        router.get('invoices/:id/relances/:sequence/preview', [RelancesController, 'preview'])

        router.get('relance-templates', [RelanceTemplatesController, 'index'])
        router.put('relance-templates/:sequence', [RelanceTemplatesController, 'update'])
        router.delete('relance-templates/:sequence', [RelanceTemplatesController, 'destroy'])

        router.get('activity', [ActivityController, 'index'])

        router.resource('webhooks', WebhooksController).only(['index', 'store', 'destroy'])
        router.get('webhooks/:id/deliveries', [WebhooksController, 'deliveries'])

        router.get('stats', [StatsController, 'show'])
      })
      .use(middleware.auth())
  })
  .prefix('/api/v1')

/*
| The client's page behind every relance, outside the API: HTML pages and
| forms, no auth (the link's token is the capability), limited per IP.
*/
router
  .group(() => {
    router.get(':token', [ClientPageController, 'show']).as('client_page.show')
    router.post(':token/invoices/:id/paid', [ClientPageController, 'paid'])
    router.post(':token/invoices/:id/promise', [ClientPageController, 'promise'])
    router.post(':token/invoices/:id/dispute', [ClientPageController, 'dispute'])
    // The PDF of one of the page's invoices
    router.get(':token/invoices/:id/document', [ClientPageController, 'document'])
  })
  .prefix('/client')
  .use(throttleClientPage)
