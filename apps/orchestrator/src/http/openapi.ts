import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** OpenAPI at /docs (UI) and /docs-json (the document). */
export function setUpOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Strata orchestrator')
    .setDescription(
      'Storage pools, volumes, volume snapshots, hypervisor hosts, image stores and templates (with ROOT volumes deployed from them), their event histories and jobs, and the storage plugins pools are made of. Commands answer 202 with a job id; ' +
        'follow the job at GET /jobs/{id}. Errors: { statusCode, code, message, violations? }.',
    )
    .setVersion('1')
    .addTag('plugins')
    .addTag('pools')
    .addTag('volumes')
    .addTag('snapshots')
    .addTag('hosts')
    .addTag('image-stores')
    .addTag('templates')
    .addTag('jobs')
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config), { jsonDocumentUrl: 'docs-json' });
}
