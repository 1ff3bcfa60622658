import { Body, Controller, Headers, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { bearerToken, createCustomerRequestSchema, registerDatabaseRequestSchema } from '#contracts';
import { AdminGuard } from '../auth/admin.guard.js';
import { TenancyService } from './tenancy.service.js';

@ApiTags('tenancy')
@Controller('v1')
export class TenancyController {
  constructor(private readonly tenancy: TenancyService) {}

  @Post('admin/customers')
  @ApiBearerAuth('admin')
  @UseGuards(AdminGuard)
  createCustomer(@Body({ schema: createCustomerRequestSchema }) body: { name: string }) {
    return this.tenancy.createCustomer(body.name);
  }

  @Post('customers/:customerId/databases')
  @ApiBearerAuth('enrollment')
  registerDatabase(
    @Param('customerId', { schema: z.uuid().meta({ title: 'customer id' }) }) customerId: string,
    @Headers('authorization') authorization: string | undefined,
    @Body({ schema: registerDatabaseRequestSchema }) body: { name: string },
  ) {
    return this.tenancy.registerDatabase(customerId, bearerToken(authorization), body.name);
  }
}
