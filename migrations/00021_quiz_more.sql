-- +goose Up
-- A learner's attempts of a quiz in a class (counted at start, read for the
-- quiz grade at every grading) are found by quiz_attempts_number_key
-- (quiz_id, class_id, user_id, number). quiz_attempts_class began with the
-- same class and quiz, so while a fresh exam's rows had no statistics yet the
-- planner took either index, and through this one it read every attempt of
-- the class to find one learner's: a cost growing with the class, paid by
-- every start and every grade. The class's list pages through the unique key
-- as well (sorting a class's attempts by id, a staff page); one index fewer
-- is also one fewer to write at every start.
DROP INDEX quiz_attempts_class;

-- +goose Down
CREATE INDEX quiz_attempts_class ON quiz_attempts (class_id, quiz_id, id);
