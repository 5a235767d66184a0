import { Module } from '@nestjs/common';
import { DeploymentProcess } from './application/deployment-process';

/** The deploy-ROOT sagas: started by POST /templates/{id}/volumes, moved by the projection. */
@Module({ providers: [DeploymentProcess], exports: [DeploymentProcess] })
export class DeploymentsModule {}
