-- The company size a client gave ('klein' | 'middelgroot'): /aanvraag asks it only once.
ALTER TABLE clients ADD COLUMN company_size TEXT;
