import { configApp } from '@adonisjs/eslint-config'

export default configApp({ ignores: ['build/**', 'bench/results/**', 'tmp/**'] })
