-- Start-up releases claims a crashed process left ('sending'); without this index that is a
-- scan of the whole reminders table (about 50 ms at 700,000 rows).
CREATE INDEX reminders_claimed ON reminders (id) WHERE status = 'sending';
