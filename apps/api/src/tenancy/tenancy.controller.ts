import { Body, Controller, Headers, Param, ParseUUIDPipe, Post, UseGuards } from '@nestjs/common';
import { bearerToken, createCustomerRequestSchema, registerDatabaseRequestSchema } from '#contracts';
import { AdminGuard } from '../auth/admin.guard.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { TenancyService } from './tenancy.service.js';

@Controller('v1')
export class TenancyController {
  constructor(private readonly tenancy: TenancyService) {}

  @Post('admin/customers')
  @UseGuards(AdminGuard)
  createCustomer(@Body(new ZodPipe(createCustomerRequestSchema)) body: { name: string }) {
    return this.tenancy.createCustomer(body.name);
  }

  @Post('customers/:customerId/databases')
  registerDatabase(
    @Param('customerId', new ParseUUIDPipe()) customerId: string,
    @Headers('authorization') authorization: string | undefined,
    @Body(new ZodPipe(registerDatabaseRequestSchema)) body: { name: string },
  ) {
    return this.tenancy.registerDatabase(customerId, bearerToken(authorization), body.name);
  }
}
