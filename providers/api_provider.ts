import { HttpContext } from '@adonisjs/core/http'
import { BaseSerializer } from '@adonisjs/core/transformers'

export type PaginationMeta = {
  total: number
  perPage: number
  currentPage: number
  lastPage: number
}

/**
 * The one serializer of the API: success bodies are `{data}`, lists are
 * `{data, meta}` with the four pagination keys of the HTTP contract.
 */
class ApiSerializer extends BaseSerializer<{ Wrap: 'data'; PaginationMetaData: PaginationMeta }> {
  wrap: 'data' = 'data'

  definePaginationMetaData(metaData: unknown): PaginationMeta {
    if (!this.isLucidPaginatorMetaData(metaData)) {
      throw new Error('Pagination metadata must come from a Lucid paginator')
    }
    return {
      total: Number(metaData.total),
      perPage: Number(metaData.perPage),
      currentPage: Number(metaData.currentPage),
      lastPage: Number(metaData.lastPage),
    }
  }
}

const serializer = new ApiSerializer()

declare module '@adonisjs/core/http' {
  export interface HttpContext {
    serialize: (value: unknown) => Promise<unknown>
  }
}

HttpContext.instanceProperty('serialize', async function (this: HttpContext, value: any) {
  const body: any = await serializer.serialize(value, this.containerResolver)
  if (body && typeof body === 'object' && 'metadata' in body) {
    const { metadata, ...rest } = body
    return { ...rest, meta: metadata }
  }
  return body
})
