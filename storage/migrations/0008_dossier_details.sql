-- A dossier exists as soon as its start date is known; its theme, title, company size and
-- amount may follow later. theme_chosen = 0: the theme is the plain rate only because the
-- client was not asked yet (dossiers made before this migration had their theme chosen).
-- An empty title means the client has not named the project yet.
ALTER TABLE dossiers ADD COLUMN theme_chosen INTEGER NOT NULL DEFAULT 1;
