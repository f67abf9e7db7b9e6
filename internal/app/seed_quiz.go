package app

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/course"
	"github.com/corpu/corpu/internal/quiz"
)

// addDemoQuiz ends the demo lesson with a short quiz of three questions from
// a question bank of the author's institute, so a learner of the demo class
// can take a quiz (and the browser test has one to take).
func (a *App) addDemoQuiz(ctx context.Context, orgID, lessonID uuid.UUID) error {
	name := "Bank Soal Literasi Digital"
	bank, err := a.quizzes.CreateBank(ctx, quiz.BankInput{OrgID: orgID, Name: &name})
	if err != nil {
		return fmt.Errorf("demo question bank: %w", err)
	}
	var questions []quiz.SectionQuestion
	for _, content := range demoQuestions() {
		q, err := a.quizzes.CreateQuestion(ctx, bank.ID, quiz.QuestionInput{Content: &content})
		if err != nil {
			return fmt.Errorf("demo question: %w", err)
		}
		questions = append(questions, quiz.SectionQuestion{QuestionID: q.ID})
	}
	yes := true
	item, err := a.courses.AddItem(ctx, lessonID, course.ItemInput{Kind: course.KindQuiz, Title: ptr("Kuis: dasar-dasar SPBE"),
		Required: &yes, EstimatedMinutes: ptr(15)})
	if err != nil {
		return err
	}
	immediately := quiz.Review{Score: quiz.ReviewImmediately, Answers: quiz.ReviewImmediately, Feedback: quiz.ReviewImmediately}
	_, _, err = a.quizzes.SetQuiz(ctx, item.ID, quiz.QuizInput{Sections: &[]quiz.Section{{Questions: questions}},
		TimeLimitSeconds: ptr(ptr(20 * 60)), AttemptsAllowed: ptr(3), PassMark: ptr(60.0), Review: &immediately})
	return err
}

func demoQuestions() []quiz.Content {
	return []quiz.Content{
		{Type: quiz.TypeSingleChoice, Stem: "<p>Apa kepanjangan SPBE?</p>", Body: quiz.Body{Options: []quiz.Option{
			{Text: "Sistem Pemerintahan Berbasis Elektronik", Weight: 1},
			{Text: "Sistem Pelayanan Birokrasi Efektif"},
			{Text: "Standar Pengelolaan Basis Elektronik"},
		}}, Feedback: "<p>SPBE diatur dalam Peraturan Presiden Nomor 95 Tahun 2018.</p>"},
		{Type: quiz.TypeTrueFalse, Stem: "<p>Kata sandi boleh dibagikan kepada rekan satu unit kerja.</p>", Body: quiz.Body{Correct: ptr(false)}},
		{Type: quiz.TypeMultipleChoice, Stem: "<p>Mana yang termasuk layanan digital pemerintah?</p>", Body: quiz.Body{Options: []quiz.Option{
			{Text: "Tanda tangan elektronik", Weight: 0.5},
			{Text: "Layanan pengaduan daring", Weight: 0.5},
			{Text: "Surat fisik tanpa nomor", Weight: -0.5},
		}}},
	}
}
