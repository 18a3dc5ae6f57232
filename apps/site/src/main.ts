import '@genviz/elements/define';
