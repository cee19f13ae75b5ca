console.log('keyhold');
