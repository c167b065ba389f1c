export * from './contact';
export * from './errors';
export * from './outbound-ledger';
export * from './smtp.contact-gateway';
export * from './http-messaging.contact-gateway';
export * from './routing.contact-gateway';
export * from './webhook';
export * from './outbound.module';
