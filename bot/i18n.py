"""The bot's own words, in Japanese and English. Study content itself is Japanese only."""

from __future__ import annotations

from collections.abc import Callable

from bot.models import ScoreRow

MESSAGES: dict[str, dict[str, str]] = {
    # answers
    "answer.correct": {
        "ja": "⭕ 正解です！ +{points}点（連続 {streak} 日）",
        "en": "⭕ Correct! +{points} points (streak {streak})",
    },
    "answer.correct_practice": {"ja": "⭕ 正解です！", "en": "⭕ Correct!"},
    "answer.wrong": {"ja": "❌ 不正解です。（連続 {streak} 日）", "en": "❌ Not quite. (streak {streak})"},
    "answer.wrong_practice": {"ja": "❌ 不正解です。", "en": "❌ Not quite."},
    "answer.your_choice": {"ja": "あなたの回答: {choices}", "en": "Your answer: {choices}"},
    "answer.reveal_later": {
        "ja": "正解と全選択肢の解説は {when} に公開されます。",
        "en": "The answer and all explanations are revealed at {when}.",
    },
    "answer.practice_answer": {"ja": "正解: {choices}", "en": "Answer: {choices}"},
    "answer.already": {
        "ja": "このお題には回答済みです（{choices}）。最初の回答が有効です。",
        "en": "You already answered this one ({choices}). Your first answer counts.",
    },
    "answer.closed": {
        "ja": "このお題は締め切られました。正解はチャンネルで公開済みです。",
        "en": "This question is closed; the answer has been revealed in the channel.",
    },
    "answer.closed_revealing": {
        "ja": "このお題は締め切られました。正解はまもなくチャンネルで公開されます。",
        "en": "This question is closed; the answer is being revealed in the channel.",
    },
    "answer.closed_unrevealed": {
        "ja": "このお題は締め切られました。チャンネルに正解発表を投稿できなかったため、ここでお知らせします。正解: {answer}",
        "en": "This question is closed. The answer could not be posted in the channel, so here it is: {answer}",
    },
    "answer.unknown_post": {
        "ja": "このお題は見つかりませんでした（削除されたか古いボタンです）。",
        "en": "This question no longer exists (deleted or an old button).",
    },
    "answer.not_yours": {
        "ja": "これは他の人の練習問題です。quiz で自分の問題を出せます。",
        "en": "That is someone else's practice question. Ask for your own with quiz.",
    },
    "answer.not_stored": {
        "ja": "⚠️ 回答を保存できませんでした。少し待ってからもう一度押してください。",
        "en": "⚠️ Your answer could not be saved. Please try again in a moment.",
    },
    "storage.error": {
        "ja": "⚠️ データベースに書き込めませんでした。少し待ってからもう一度お試しください。",
        "en": "⚠️ The database could not be written. Please try again in a moment.",
    },
    "answer.bad_choice": {
        "ja": "選択肢 {choices} はこの問題にありません（{valid} から選んでください）。",
        "en": "Choice {choices} is not in this question (choose from {valid}).",
    },
    "answer.need_count": {
        "ja": "この問題は {count} つ選んでください。",
        "en": "Choose exactly {count} for this question.",
    },
    "answer.need_one": {"ja": "選択肢を 1 つ選んでください。", "en": "Choose one answer."},
    # posts
    "post.daily_title": {"ja": "📚 今日の一問（{exams}）", "en": "📚 Question of the day ({exams})"},
    "post.practice_title": {"ja": "📝 練習問題（{exams}）", "en": "📝 Practice question ({exams})"},
    "post.choose_many": {"ja": "{count} つ選択", "en": "choose {count}"},
    "post.closes_at": {"ja": "{when} に締め切り", "en": "closes at {when}"},
    "duration.hours": {"ja": "{n}時間", "en": "{n} h"},
    "duration.minutes": {"ja": "{n}分", "en": "{n} min"},
    "duration.join": {"ja": "", "en": " "},
    "reveal.title": {"ja": "✅ 正解発表: {answer}", "en": "✅ Answer: {answer}"},
    "reveal.results": {"ja": "回答 {answered} 人、正解率 {share}", "en": "{answered} answered, {share} correct"},
    "reveal.no_answers": {"ja": "回答はありませんでした。", "en": "Nobody answered."},
    "reveal.explanation": {"ja": "解説", "en": "Explanation"},
    "reveal.source": {"ja": "出典: {title} / {section}", "en": "Source: {title} / {section}"},
    # practice
    "quiz.no_match": {
        "ja": "「{filter}」に当てはまる試験・サービスがありません。例: {examples}",
        "en": "No exam or service matches {filter!r}. Try: {examples}",
    },
    "quiz.empty": {"ja": "条件に合う問題がありません。", "en": "No question matches that filter."},
    # lookup
    "lookup.usage": {
        "ja": "使い方: {p}lookup <用語>（例: {p}lookup ASG）",
        "en": "Usage: {p}lookup <term> (e.g. {p}lookup ASG)",
    },
    "lookup.none": {"ja": "「{query}」は見つかりませんでした。", "en": "Nothing found for {query!r}."},
    "lookup.suggest": {"ja": "もしかして: {terms}", "en": "Did you mean: {terms}"},
    "lookup.many": {
        "ja": "「{query}」に {count} 件見つかりました。どれですか？",
        "en": "{count} entries match {query!r}. Which one?",
    },
    "lookup.related": {"ja": "関連: {terms}", "en": "Related: {terms}"},
    "lookup.legacy": {"ja": "⚠️ 提供終了・新規受付終了のサービスです", "en": "⚠️ Retired or closed to new customers"},
    # leaderboard and stats
    "board.title": {"ja": "🏆 ランキング（{period}{scope}）", "en": "🏆 Leaderboard ({period}{scope})"},
    "board.week": {"ja": "今週", "en": "this week"},
    "board.month": {"ja": "今月", "en": "this month"},
    "board.all": {"ja": "全期間", "en": "all time"},
    "board.channel_scope": {"ja": "・#{channel}", "en": ", #{channel}"},
    "board.row": {
        "ja": "{rank}. {name} — {points}点（{correct}/{answered} 正解、連続 {streak} 日）",
        "en": "{rank}. {name} — {points} pts ({correct}/{answered} correct, streak {streak})",
    },
    "board.empty": {"ja": "まだ回答がありません。", "en": "No answers yet."},
    "board.you": {"ja": "あなた: {rank} 位、{points}点", "en": "You: #{rank}, {points} pts"},
    "board.bad_period": {
        "ja": "期間は week / month / all のいずれかです。",
        "en": "The period is one of week, month, all.",
    },
    "home.title": {"ja": "📚 studybot", "en": "📚 studybot"},
    "home.hint": {
        "ja": "{p}quiz で練習問題、{p}lookup <用語> で用語検索、{p}help でコマンド一覧。",
        "en": "{p}quiz for a practice question, {p}lookup <term> to look up a term, {p}help for all commands.",
    },
    "stats.title": {"ja": "📊 {name} さんの成績", "en": "📊 Stats for {name}"},
    "stats.totals": {
        "ja": "回答 {answered} 問、正解 {correct} 問（正答率 {accuracy}）",
        "en": "{answered} answered, {correct} correct ({accuracy})",
    },
    "stats.split": {"ja": "今日の一問 {daily} 問・練習 {practice} 問", "en": "Daily {daily}, practice {practice}"},
    "stats.streak": {"ja": "連続回答: 現在 {current} 日、最高 {best} 日", "en": "Streak: {current} now, best {best}"},
    "stats.by_exam": {"ja": "試験別", "en": "By exam"},
    "stats.by_service": {"ja": "サービス別", "en": "By service"},
    "stats.line": {
        "ja": "{name}: {correct}/{answered}（{accuracy}）",
        "en": "{name}: {correct}/{answered} ({accuracy})",
    },
    "stats.none": {"ja": "まだ回答がありません。quiz で練習してみましょう。", "en": "No answers yet. Try a quiz."},
    # daily administration
    "daily.set": {
        "ja": "毎日の出題を設定しました: {days} {time}（{timezone}）{filter}、{reveal} 後に正解発表。",
        "en": "Daily question set: {days} at {time} ({timezone}){filter}, revealed after {reveal}.",
    },
    "daily.filter": {"ja": "、対象 {filter}", "en": ", only {filter}"},
    "daily.off": {
        "ja": "このチャンネルの毎日の出題を停止しました。",
        "en": "Daily questions stopped for this channel.",
    },
    "daily.not_set": {
        "ja": "このチャンネルには毎日の出題が設定されていません。",
        "en": "No daily question is set for this channel.",
    },
    "daily.posted": {"ja": "今日の一問を投稿しました。", "en": "Today's question is posted."},
    "daily.already": {
        "ja": "今日の一問はこのチャンネルに投稿済みです（1 日 1 問）。",
        "en": "Today's question is already posted in this channel (one a day).",
    },
    "daily.failed": {"ja": "投稿できませんでした: {error}", "en": "Could not post: {error}"},
    "daily.retrying": {
        "ja": "投稿できたか確認できませんでした（プラットフォームが応答しません）。自動で確認し、必要なら再投稿します。",
        "en": "The platform did not confirm the post. studybot checks and, if needed, posts again on its own.",
    },
    "daily.no_question": {
        "ja": "条件に合う問題がありません。フィルタを見直してください。",
        "en": "No question matches this channel's filter.",
    },
    "daily.admin_only": {"ja": "この操作は管理者のみ実行できます。", "en": "Only admins can do this."},
    "daily.usage": {
        "ja": "使い方: {a}daily set HH:MM [タイムゾーン] [曜日 例: mon-fri] [試験/サービス] | {a}daily off | {a}daily now",
        "en": "Usage: {a}daily set HH:MM [timezone] [days e.g. mon-fri] [exam/service] | {a}daily off | {a}daily now",
    },
    "daily.bad_time": {
        "ja": "時刻 {value} が読めません。HH:MM（例 09:00）で指定してください。",
        "en": "Cannot read the time {value!r}; use HH:MM such as 09:00.",
    },
    "daily.bad_timezone": {
        "ja": "タイムゾーン {value} が不明です（例: Asia/Tokyo）。",
        "en": "Unknown timezone {value!r} (e.g. Asia/Tokyo).",
    },
    "daily.bad_days": {
        "ja": "曜日 {value} が読めません（例: mon-fri, sat,sun, daily）。",
        "en": "Cannot read the days {value!r} (e.g. mon-fri, sat,sun, daily).",
    },
    "daily.bad_argument": {
        "ja": "{value} は試験・サービス名として認識できません。",
        "en": "{value!r} is not a known exam or service.",
    },
    "daily.bad_reveal": {
        "ja": "公開までの時間 {value} が読めません（例: reveal=8h, reveal=90m）。",
        "en": "Cannot read the reveal delay {value!r} (e.g. reveal=8h, reveal=90m).",
    },
    "daily.missing_permissions": {
        "ja": "このチャンネルではボットに次の権限がないため投稿できません: {permissions}。チャンネルの設定で許可してから、もう一度お試しください。",
        "en": "The bot cannot post in this channel: it lacks {permissions}. Allow them in the channel's settings, then try again.",
    },
    "permission.view_channel": {"ja": "チャンネルを見る", "en": "View Channel"},
    "permission.send_messages": {"ja": "メッセージを送信", "en": "Send Messages"},
    "permission.embed_links": {"ja": "埋め込みリンク", "en": "Embed Links"},
    "permission.read_message_history": {"ja": "メッセージ履歴を読む", "en": "Read Message History"},
    "permission.attach_files": {"ja": "ファイルを添付", "en": "Attach Files"},
    # why a channel cannot be posted in, as admins are told (the platform's own answer goes to the log)
    "channel.forbidden": {
        "ja": "ボットにこのチャンネルへの投稿権限がありません",
        "en": "the bot is not allowed to post in this channel",
    },
    "channel.gone": {
        "ja": "チャンネルかメッセージが見つかりません（削除されたか、ボットが外されています）",
        "en": "the channel or the message no longer exists, or the bot was removed from it",
    },
    "channel.unavailable": {
        "ja": "ボットはこのチャンネルに投稿できなくなりました",
        "en": "the bot can no longer post in this channel",
    },
    "channel.not_connected": {
        "ja": "{platform} に接続していません。少し待ってからもう一度お試しください",
        "en": "studybot is not connected to {platform}; try again in a moment",
    },
    "daily.channel_lost": {
        "ja": "studybot: {channel} の毎日の出題を停止しました（投稿できません: {reason}）。権限を確認してから /study-admin daily set で再設定してください。",
        "en": "studybot: the daily question in {channel} is stopped (cannot post: {reason}). Check the bot's permissions there, then /study-admin daily set again.",
    },
    "slack.channel_lost": {
        "ja": "studybot: {channel} の毎日の出題を停止しました（投稿できません: {reason}）。ボットをチャンネルに追加してから /study daily set で再設定してください。",
        "en": "studybot: the daily question in {channel} is stopped (cannot post: {reason}). Add the bot to the channel again, then /study daily set.",
    },
    # general
    "button.stale": {
        "ja": "このボタンはもう使えません（古いメッセージのボタンです）。",
        "en": "This button is no longer valid (it belongs to an old message).",
    },
    "console.bad_post_id": {
        "ja": "{value} は問題の番号ではありません。/answer 12 A のように、[#12] の数字と選択肢を書いてください。",
        "en": "{value} is not a question number. Write the number shown as [#12] and your choice: /answer 12 A",
    },
    "error.unexpected": {
        "ja": "⚠️ 予期しないエラーが起きました。少し待ってからもう一度お試しください。",
        "en": "⚠️ Something went wrong on our side. Please try again in a moment.",
    },
    "error.outdated_command": {
        "ja": "このコマンドは古くなっています。少し待ってから、もう一度 / から選び直してください。",
        "en": "This command is out of date. Please wait a moment, then pick it again from the / menu.",
    },
    "error.bad_option": {
        "ja": "オプションの値が正しくありません。",
        "en": "One of the options has a value that is not valid.",
    },
    "help": {
        "ja": "使えるコマンド:\n{p}quiz [試験|サービス] 練習問題\n{p}lookup <用語> 用語を調べる\n{p}leaderboard [week|month|all] [channel] ランキング\n{p}stats 自分の成績\n{p}review 復習（今日が期限の問題から、次に新しい問題）\n{p}remind HH:MM [タイムゾーン] | {p}remind off 復習リマインダー（DM）\n{a}daily set HH:MM [タイムゾーン] [曜日] [試験/サービス] [reveal=8h] | {a}daily off | {a}daily now（管理者）\n{a}lang ja|en 表示言語（管理者）\n{a}retention 0.9 復習の目標正答率 0.7〜0.97（管理者）\n{a}packs list | {a}packs on|off <名前> 問題パック（管理者）\n{a}recap on|off 週のまとめ（毎週月曜、管理者）",
        "en": "Commands:\n{p}quiz [exam|service] a practice question\n{p}lookup <term> look up a term\n{p}leaderboard [week|month|all] [channel] rankings\n{p}stats your stats\n{p}review your reviews (questions due today first, then new ones)\n{p}remind HH:MM [timezone] | {p}remind off a daily review reminder (DM)\n{a}daily set HH:MM [timezone] [days] [exam/service] [reveal=8h] | {a}daily off | {a}daily now (admins)\n{a}lang ja|en bot language (admins)\n{a}retention 0.9 the review target, 0.7-0.97 (admins)\n{a}packs list | {a}packs on|off <name> content packs (admins)\n{a}recap on|off the weekly recap (Mondays, admins)",
    },
    "unknown_command": {
        "ja": "「{command}」というコマンドはありません。{p}help で一覧を表示します。",
        "en": "There is no command {command!r}. {p}help lists them.",
    },
    "reload.done": {
        "ja": "問題と用語を再読み込みしました（問題 {questions}、用語 {entries}）。",
        "en": "Content reloaded: {questions} questions, {entries} lookup entries.",
    },
    "reload.refused": {
        "ja": "内容に {count} 件の問題があるため再読み込みしませんでした（今の内容のままです）:\n{problems}",
        "en": "Not reloaded: {count} problem(s) in the content (the current content stays):\n{problems}",
    },
    # -- charts and the weekly recap (bot/charts.py, bot/recaps.py)
    "chart.no_data": {"ja": "まだデータがありません", "en": "No data yet"},
    "chart.days_title": {"ja": "直近30日の回答", "en": "Last 30 days"},
    "chart.answers": {"ja": "回答数", "en": "Answers"},
    "chart.accuracy_of": {"ja": "（正答率 {share}）", "en": "({share} right)"},
    "chart.right": {"ja": "正解", "en": "right"},
    "chart.wrong": {"ja": "不正解", "en": "wrong"},
    "chart.accuracy": {"ja": "正答率（%）", "en": "Accuracy (%)"},
    "chart.services_title": {"ja": "サービス別の正答率", "en": "Accuracy by service"},
    "chart.calendar_title": {"ja": "連続回答カレンダー", "en": "Streak calendar"},
    "chart.calendar_legend": {
        "ja": "緑: 回答した日（濃いほど多い）・赤: 出題を逃した日",
        "en": "green: answered (darker: more), red: a daily question missed",
    },
    "chart.weekday.0": {"ja": "月", "en": "Mon"},
    "chart.weekday.1": {"ja": "火", "en": "Tue"},
    "chart.weekday.2": {"ja": "水", "en": "Wed"},
    "chart.weekday.3": {"ja": "木", "en": "Thu"},
    "chart.weekday.4": {"ja": "金", "en": "Fri"},
    "chart.weekday.5": {"ja": "土", "en": "Sat"},
    "chart.weekday.6": {"ja": "日", "en": "Sun"},
    "chart.points": {"ja": "得点", "en": "Points"},
    "chart.bar_label": {
        "ja": "{points}点（正解 {correct}/{answered}）",
        "en": "{points} pts ({correct}/{answered} right)",
    },
    "chart.board_title": {"ja": "今週のトップ10", "en": "This week's top 10"},
    "chart.recap_title": {"ja": "先週のトップ10（{week}）", "en": "Last week's top 10 ({week})"},
    "chart.sent_dm": {
        "ja": "📈 グラフはダイレクトメッセージに送りました。",
        "en": "📈 The chart is in your direct messages.",
    },
    "chart.saved": {"ja": "📈 グラフ: {path}", "en": "📈 Chart: {path}"},
    "recap.usage": {"ja": "使い方: {a}recap on|off", "en": "Usage: {a}recap on|off"},
    "recap.needs_daily": {
        "ja": "先にこのチャンネルの毎日の出題を設定してください（{a}daily set）。まとめはその時刻に投稿されます。",
        "en": "Set this channel's daily question first ({a}daily set): the recap is posted at its time.",
    },
    "recap.on": {
        "ja": "毎週月曜 {time}（{timezone}）に先週のまとめをこのチャンネルに投稿します。",
        "en": "Every Monday at {time} ({timezone}) this channel gets last week's recap.",
    },
    "recap.off": {"ja": "週のまとめを止めました。", "en": "The weekly recap is off."},
    "recap.was_off": {"ja": "このチャンネルの週のまとめはオフです。", "en": "The weekly recap is not on here."},
    "recap.title": {"ja": "📅 先週のまとめ（{week}）", "en": "📅 Last week's recap ({week})"},
    "recap.participation": {
        "ja": "参加: {people} 人・回答 {answers} 件（正解 {correct} 件）",
        "en": "Participation: {people} people, {answers} answers ({correct} right)",
    },
    "recap.no_answers": {"ja": "先週は回答がありませんでした。", "en": "Nobody answered last week."},
    "recap.top": {"ja": "トップ10", "en": "Top 10"},
    "recap.hardest": {
        "ja": "いちばん難しかった問題: {question}（正答率 {accuracy}、{answered} 人回答）",
        "en": "Hardest question: {question} ({accuracy} right, {answered} answers)",
    },
    "recap.no_hardest": {
        "ja": "難問の判定には回答が足りませんでした（1問あたり {min} 件以上）。",
        "en": "Too few answers to pick a hardest question (at least {min} per question).",
    },
    "lang.set": {"ja": "表示言語を日本語にしました。", "en": "The bot now speaks English here."},
    "lang.usage": {"ja": "使い方: {a}lang ja|en", "en": "Usage: {a}lang ja|en"},
    # several processes on one database (issue 14): a server on a Discord shard another process runs
    "daily.elsewhere": {
        "ja": "このサーバーへの投稿は別の studybot プロセスが担当しています（別のシャード）。",
        "en": "Another studybot process posts to this server (it runs its shard).",
    },
    # reminders (bot/reminders.py): the learner's own daily review reminder by direct message
    "reminder.set": {
        "ja": "毎日 {time}（{timezone}）に、復習する問題があればDMでお知らせします。次回: {next}。止めるには {p}remind off",
        "en": "Every day at {time} ({timezone}) you get a direct message when reviews are due. Next: {next}. Stop it with {p}remind off",
    },
    "reminder.status": {
        "ja": "リマインダー: 毎日 {time}（{timezone}）。次回: {next}。止めるには {p}remind off",
        "en": "Reminder: every day at {time} ({timezone}). Next: {next}. Stop it with {p}remind off",
    },
    "reminder.off": {"ja": "復習リマインダーを止めました。", "en": "Your review reminder is off."},
    "reminder.not_set": {
        "ja": "リマインダーは設定されていません。{p}remind HH:MM [タイムゾーン] で設定できます（例: {p}remind 07:30）。",
        "en": "No reminder is set. Set one with {p}remind HH:MM [timezone] (e.g. {p}remind 07:30).",
    },
    "reminder.usage": {
        "ja": "使い方: {p}remind HH:MM [タイムゾーン] | {p}remind off",
        "en": "Usage: {p}remind HH:MM [timezone] | {p}remind off",
    },
    "reminder.dm": {
        "ja": "📚 {community} で復習する問題が {count} 問あります。忘れかけた頃の今が復習のチャンスです。",
        "en": "📚 You have {count} review(s) due in {community}. Now is the right moment to review them.",
    },
    "reminder.button": {"ja": "復習を始める", "en": "Start reviewing"},
    "reminder.footer": {
        "ja": "毎日のリマインダーです。止めるには {p}remind off",
        "en": "Your daily reminder. Stop it with {p}remind off",
    },
    "reminder.review_elsewhere": {
        "ja": "{p}review で復習を始めてください。",
        "en": "Start your review with {p}review.",
    },
    # -- spaced repetition: /study review, readiness in /study stats, the retention setting (bot/reviews.py)
    "review.title": {"ja": "🔁 復習（{exams}）", "en": "🔁 Review ({exams})"},
    "review.due_left": {
        "ja": "今日の復習: この問題のあと残り {left} 問",
        "en": "Reviews due today: {left} more after this one",
    },
    "review.new": {
        "ja": "今日の復習はすべて終わりました。新しい問題です。",
        "en": "All of today's reviews are done. Here is a new question.",
    },
    "review.none_due": {
        "ja": "今日の復習はありません。全問題に回答済みです。次の復習は {when} です。",
        "en": "No reviews due today, and you have seen every question. The next review is due {when}.",
    },
    "retention.usage": {
        "ja": "使い方: {a}retention 0.9（目標正答率 {low}〜{high}。高いほど復習が増えます）",
        "en": "Usage: {a}retention 0.9 (target recall {low}-{high}; higher means more reviews)",
    },
    "retention.set": {
        "ja": "復習の目標正答率を {value} にしました。次の回答から使われます。",
        "en": "Review target set to {value}. It applies from the next answer on.",
    },
    "stats.readiness": {"ja": "試験の準備度（今日の予想正答率）", "en": "Exam readiness (expected score today)"},
    "stats.readiness_line": {
        "ja": "{exam}: {share}（{seen}/{pool} 問を学習済み）",
        "en": "{exam}: {share} ({seen} of {pool} questions studied)",
    },
    "stats.weakest": {"ja": "苦手: {services}", "en": "Weakest: {services}"},
    # -- content packs per community (bot/pack_admin.py)
    "packs.title": {"ja": "問題パック（✅ 有効 / ⬜ 無効）:", "en": "Content packs (✅ on / ⬜ off):"},
    "packs.line_on": {
        "ja": "✅ {name} — {title}（{language}、問題 {questions}、用語 {entries}）",
        "en": "✅ {name} — {title} ({language}, {questions} questions, {entries} lookup entries)",
    },
    "packs.line_off": {
        "ja": "⬜ {name} — {title}（{language}、問題 {questions}、用語 {entries}）",
        "en": "⬜ {name} — {title} ({language}, {questions} questions, {entries} lookup entries)",
    },
    "packs.line_missing": {
        "ja": "⚠️ {name} — 有効ですが内容から削除されたため出題されません（{a}packs off {name} で外せます）",
        "en": "⚠️ {name} — on, but no longer in the content, so nothing of it is asked ({a}packs off {name} removes it)",
    },
    "packs.more": {"ja": "…ほか {count} 件", "en": "… and {count} more"},
    "packs.hint": {
        "ja": "{a}packs on <名前> で有効に、{a}packs off <名前> で無効にします。無効にしても回答と得点は残ります。",
        "en": "{a}packs on <name> turns a pack on, {a}packs off <name> off. Answers and scores stay either way.",
    },
    "packs.usage": {
        "ja": "使い方: {a}packs list | {a}packs on <名前> | {a}packs off <名前>",
        "en": "Usage: {a}packs list | {a}packs on <name> | {a}packs off <name>",
    },
    "packs.unknown": {
        "ja": "「{name}」という問題パックはありません。あるのは: {known}",
        "en": "There is no content pack {name!r}. The packs are: {known}",
    },
    "packs.last_one": {
        "ja": "「{name}」は問題のある最後の有効なパックなので無効にできません。先に別のパックを有効にしてください。",
        "en": "{name!r} is the last pack on with questions, so it stays on: turn another pack on first.",
    },
    "packs.nothing_on": {
        "ja": "このサーバーで有効な問題パックに問題がありません（有効なまま内容から削除されたパック: {names}）。管理者が {a}packs list で確認し、別のパックを有効にできます。",
        "en": "The packs on here have no questions (on but no longer in the content: {names}). An admin can see them with {a}packs list and turn another one on.",
    },
    "packs.switched_on": {"ja": "「{name}」を有効にしました。", "en": "{name!r} is on."},
    "packs.switched_off": {
        "ja": "「{name}」を無効にしました（回答と得点は残ります）。",
        "en": "{name!r} is off (its answers and scores stay).",
    },
    "daily.no_packs": {
        "ja": "このサーバーで有効な問題パックに問題がありません（有効なまま内容から削除されたパック: {error}）。packs コマンドで別のパックを有効にしてください。",
        "en": "The packs on here have no questions (on but no longer in the content: {error}). Turn another pack on with the packs command.",
    },
}


def t(locale: str, key: str, **params: object) -> str:
    """The message `key` in `locale` (falling back to Japanese), with params filled in.

    `p` is how the platform's users type a command ("/" in the console, "/study " in Slack) and `a`
    an admin command (the same, except on Discord where admin commands are a separate command).
    """
    texts = MESSAGES[key]
    prefix = params.get("p", "/")
    return texts.get(locale, texts["ja"]).format(**{"p": prefix, "a": prefix, **params})


def percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "-"


def board_row(locale: str, row: ScoreRow, escape: Callable[[str], str] = str) -> str:
    """One leaderboard line (the leaderboard and the weekly recap); `escape` makes the name inert."""
    return t(
        locale,
        "board.row",
        rank=row.rank,
        name=escape(row.name or f"user {row.user_id}"),
        points=row.points,
        correct=row.correct,
        answered=row.answered,
        streak=row.streak,
    )
