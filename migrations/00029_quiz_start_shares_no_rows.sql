-- +goose Up
-- A start writes an attempt and its slots; the foreign keys to the quiz and
-- to the question versions made each of those inserts lock the row it
-- referenced (FOR KEY SHARE), and a row lock is written into the row. In an
-- exam every learner starts the same quiz with the same questions within a
-- minute, so every start wrote to the same 21 rows, and each lock taken
-- while others held it became a new MultiXact listing them all.
--
-- The checks guarded nothing the code does: quizzes of published versions,
-- the only ones attempts are started on, are never deleted, and question
-- versions are never deleted (an edit of a used question makes a new one).
ALTER TABLE quiz_attempts DROP CONSTRAINT quiz_attempts_quiz_id_fkey;
ALTER TABLE quiz_attempt_slots DROP CONSTRAINT quiz_attempt_slots_question_version_id_fkey;

-- +goose Down
ALTER TABLE quiz_attempt_slots ADD CONSTRAINT quiz_attempt_slots_question_version_id_fkey
    FOREIGN KEY (question_version_id) REFERENCES question_versions (id);
ALTER TABLE quiz_attempts ADD CONSTRAINT quiz_attempts_quiz_id_fkey
    FOREIGN KEY (quiz_id) REFERENCES quizzes (item_id);
